/**
 * The activities on their own (MockActivityEnvironment) against the sandbox over loopback: the
 * mapping of SIR answers to Temporal failures, before any workflow is involved.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createSirActivities, type MoveCaseRequest, type SirActivities, type UpdateCaseStatusRequest } from '../../activities';
import { SAMPLE_CASE, startSandboxFixture, type SandboxFixture } from '../helpers/sir-sandbox';

describe('SIR activities', { timeout: 60_000 }, () => {
  let fx: SandboxFixture;
  let acts: SirActivities;
  let mock: MockActivityEnvironment;

  before(async () => {
    fx = await startSandboxFixture();
    acts = createSirActivities(fx.sir);
  });
  after(() => fx.sandbox.close());
  beforeEach(() => {
    fx.sandbox.reset();
    mock = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  });

  // MockActivityEnvironment.run cannot infer a result type from the function; this wrapper can.
  function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
    return mock.run<A, R, (...args: A) => Promise<R>>(fn, ...args);
  }

  const toDetection = (caseId: string, extra: Partial<UpdateCaseStatusRequest> = {}): UpdateCaseStatusRequest => ({
    caseId,
    from: 'Submitted',
    to: 'Detection and Analysis',
    ...extra,
  });

  async function newCase(resolverType: 'Self' | 'AWS' = 'Self'): Promise<string> {
    return (await fx.sir.createCase({ ...SAMPLE_CASE, resolverType, clientToken: randomUUID() })).caseId;
  }

  async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => assert.fail('the activity should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    return err;
  }

  it('createCase sends the clientToken and is idempotent on it', async () => {
    const request = { ...SAMPLE_CASE, reportedIncidentStartDate: '2026-11-20T10:00:00.000Z', clientToken: 'phasegate:fp-1' };
    const first = await run(acts.createCase, request);
    const second = await run(acts.createCase, request);
    assert.match(first.caseId, /^\d{10}$/);
    assert.equal(second.caseId, first.caseId);
    assert.equal(fx.sandbox.getCase(first.caseId)?.caseStatus, 'Submitted');
  });

  it('getCase returns only what workflows need', async () => {
    const caseId = await newCase();
    const snapshot = await run(acts.getCase, caseId);
    assert.deepEqual(snapshot, { caseId, caseStatus: 'Submitted', resolverType: 'Self', closedAt: undefined });
  });

  it('updateCaseStatus applies an allowed transition', async () => {
    const caseId = await newCase();
    const result = await run(acts.updateCaseStatus, toDetection(caseId));
    assert.deepEqual(result, { caseStatus: 'Detection and Analysis', alreadyApplied: false });
    assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, 'Detection and Analysis');
  });

  it('ThrottlingException becomes a retryable failure whose next delay is the Retry-After', async () => {
    const caseId = await newCase();
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 1, retryAfterSeconds: 7 });
    const f = await failure(run(acts.updateCaseStatus, toDetection(caseId)));
    assert.equal(f.type, 'ThrottlingException');
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 7_000);
  });

  it('InternalServerException without Retry-After leaves the delay to the retry policy', async () => {
    const caseId = await newCase();
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'internal', count: 1 });
    const f = await failure(run(acts.updateCaseStatus, toDetection(caseId)));
    assert.equal(f.type, 'InternalServerException');
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, undefined);
  });

  it('InvalidTokenException is retryable, as the model marks it', async () => {
    const caseId = await newCase();
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'error', name: 'InvalidTokenException', count: 1 });
    const f = await failure(run(acts.updateCaseStatus, toDetection(caseId)));
    assert.equal(f.type, 'InvalidTokenException');
    assert.equal(f.nonRetryable, false);
  });

  for (const name of [
    'AccessDeniedException',
    'ResourceNotFoundException',
    'SecurityIncidentResponseNotActiveException',
    'ServiceQuotaExceededException',
    'ValidationException',
  ] as const) {
    it(`${name} becomes a non-retryable failure of that type carrying the request id`, async () => {
      const caseId = await newCase();
      fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'error', name, count: 1 });
      const f = await failure(run(acts.updateCaseStatus, toDetection(caseId)));
      assert.equal(f.type, name);
      assert.equal(f.nonRetryable, true);
      const [requestId] = fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).map((c) => c.requestId);
      assert.ok(requestId && f.message.includes(requestId), `message "${f.message}" lacks the request id`);
    });
  }

  it('a real ConflictException (case moved elsewhere) is non-retryable', async () => {
    const caseId = await newCase();
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'conflict', caseIds: [caseId] });
    const f = await failure(run(acts.updateCaseStatus, toDetection(caseId)));
    assert.equal(f.type, 'ConflictException');
    assert.equal(f.nonRetryable, true);
  });

  it('a ConflictException on a status already applied counts as done', async () => {
    const caseId = await newCase();
    await fx.sir.updateCaseStatus(caseId, 'Detection and Analysis');
    const result = await run(acts.updateCaseStatus, toDetection(caseId));
    assert.deepEqual(result, { caseStatus: 'Detection and Analysis', alreadyApplied: true });
    assert.deepEqual(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).map((c) => c.statusCode), [201, 409]);
  });

  it('a ValidationException on a status already applied counts as done too (AWS does not say which it sends)', async () => {
    const caseId = await newCase();
    await fx.sir.updateCaseStatus(caseId, 'Detection and Analysis');
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'illegal-transition', as: 'ValidationException', count: 1 });
    const result = await run(acts.updateCaseStatus, toDetection(caseId));
    assert.deepEqual(result, { caseStatus: 'Detection and Analysis', alreadyApplied: true });
    assert.deepEqual(
      fx.sandbox.calls.list({ caseId }).map((c) => [c.operation, c.statusCode]),
      [['UpdateCaseStatus', 201], ['UpdateCaseStatus', 400], ['GetCase', 200]],
    );
  });

  describe('moveCase (read before write)', () => {
    const move = (caseId: string, to: MoveCaseRequest['to'], expected: Partial<MoveCaseRequest['expected']> = {}): MoveCaseRequest => ({
      caseId,
      expected: { status: 'Submitted', resolverType: 'Self', ...expected },
      to,
    });
    const writes = (caseId: string) =>
      fx.sandbox.calls.list({ caseId }).filter((c) => c.operation === 'UpdateCaseStatus' || c.operation === 'CloseCase');

    it('reads, then moves a case that is where the workflow believes', async () => {
      const caseId = await newCase();
      fx.sandbox.calls.clear();
      const result = await run(acts.moveCase, move(caseId, 'Detection and Analysis'));
      assert.deepEqual(result, { outcome: 'moved', caseStatus: 'Detection and Analysis' });
      assert.deepEqual(fx.sandbox.calls.list({ caseId }).map((c) => [c.operation, c.statusCode]), [['GetCase', 200], ['UpdateCaseStatus', 201]]);
      assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, 'Detection and Analysis');
    });

    it('closes through CloseCase, AWS-supported cases included', async () => {
      const caseId = await newCase('AWS');
      const result = await run(acts.moveCase, move(caseId, 'Closed', { resolverType: 'AWS' }));
      assert.equal(result.outcome, 'moved');
      assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, 'Closed');
      assert.deepEqual(writes(caseId).map((c) => c.operation), ['CloseCase']);
    });

    it('does not write when an analyst moved the case (a move back included), and says where it is', async () => {
      const caseId = await newCase();
      await fx.sir.updateCaseStatus(caseId, 'Detection and Analysis');
      await fx.sir.updateCaseStatus(caseId, 'Post-incident Activities');
      fx.sandbox.calls.clear();
      // The workflow believes D&A and wants Containment; the analyst went on to Post-incident. The table
      // allows Post-incident → Containment, so without the read this would silently undo their move.
      const result = await run(acts.moveCase, move(caseId, 'Containment, Eradication and Recovery', { status: 'Detection and Analysis' }));
      assert.deepEqual(result, { outcome: 'drifted', actual: { status: 'Post-incident Activities', resolverType: 'Self' } });
      assert.deepEqual(writes(caseId), []);
      assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, 'Post-incident Activities');
    });

    it('does not write when the resolver type changed (AWS took the case over)', async () => {
      const caseId = await newCase('AWS');
      const result = await run(acts.moveCase, move(caseId, 'Detection and Analysis'));
      assert.deepEqual(result, { outcome: 'drifted', actual: { status: 'Submitted', resolverType: 'AWS' } });
      assert.deepEqual(writes(caseId), []);
    });

    it('reports a case closed in SIR as drifted, so the workflow can end', async () => {
      const caseId = await newCase();
      fx.sandbox.setCaseStatus(caseId, 'Closed');
      const result = await run(acts.moveCase, move(caseId, 'Detection and Analysis'));
      assert.deepEqual(result, { outcome: 'drifted', actual: { status: 'Closed', resolverType: 'Self' } });
    });

    it('on a first attempt, a case already in the target that the workflow did not expect there is drift', async () => {
      const caseId = await newCase();
      fx.sandbox.setCaseStatus(caseId, 'Detection and Analysis');
      const result = await run(acts.moveCase, move(caseId, 'Detection and Analysis'));
      assert.deepEqual(result, { outcome: 'drifted', actual: { status: 'Detection and Analysis', resolverType: 'Self' } });
    });

    it('on a retried attempt, the target status is the earlier attempt\'s write: already applied, nothing written', async () => {
      const caseId = await newCase();
      await fx.sir.updateCaseStatus(caseId, 'Detection and Analysis');
      fx.sandbox.calls.clear();
      const retry = new MockActivityEnvironment({ attempt: 2 }, { logger: new DefaultLogger('ERROR') });
      const result = await retry.run(acts.moveCase, move(caseId, 'Detection and Analysis'));
      assert.deepEqual(result, { outcome: 'already-applied', caseStatus: 'Detection and Analysis' });
      assert.deepEqual(writes(caseId), []);
    });

    it('refuses a transition the table forbids without writing', async () => {
      const caseId = await newCase();
      const f = await failure(run(acts.moveCase, move(caseId, 'Post-incident Activities')));
      assert.equal(f.type, 'ValidationException');
      assert.equal(f.nonRetryable, true);
      assert.deepEqual(writes(caseId), []);
    });

    it('a case moved between the read and the write: the refusal is read again and reported as drift', async () => {
      const caseId = await newCase();
      await fx.sir.updateCaseStatus(caseId, 'Detection and Analysis');
      // The read is answered late; in the meantime an analyst closes the case.
      fx.sandbox.faults.inject('GetCase', { kind: 'latency', ms: 400, count: 1 });
      const moving = run(acts.moveCase, move(caseId, 'Containment, Eradication and Recovery', { status: 'Detection and Analysis' }));
      await new Promise((resolve) => setTimeout(resolve, 150));
      fx.sandbox.setCaseStatus(caseId, 'Closed');
      const result = await moving;
      assert.deepEqual(result, { outcome: 'drifted', actual: { status: 'Closed', resolverType: 'Self' } });
      assert.deepEqual(writes(caseId).map((c) => [c.operation, c.statusCode]), [['UpdateCaseStatus', 201], ['UpdateCaseStatus', 409]]);
    });

    it('a refusal while the case is still where the workflow believes is a real failure', async () => {
      const caseId = await newCase();
      fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'conflict', count: 1 });
      const f = await failure(run(acts.moveCase, move(caseId, 'Detection and Analysis')));
      assert.equal(f.type, 'ConflictException');
      assert.equal(f.nonRetryable, true);
    });
  });

  it('refuses an illegal transition without calling SIR', async () => {
    const caseId = await newCase();
    const f = await failure(run(acts.updateCaseStatus, toDetection(caseId, { to: 'Post-incident Activities' })));
    assert.equal(f.type, 'ValidationException');
    assert.equal(f.nonRetryable, true);
    assert.equal(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus' }).length, 0);
  });

  it('refuses UpdateCaseStatus on an AWS-supported case without calling SIR, but closes it', async () => {
    const caseId = await newCase('AWS');
    const f = await failure(
      run(acts.updateCaseStatus, toDetection(caseId, { resolverType: 'AWS' })),
    );
    assert.equal(f.type, 'ValidationException');
    assert.match(f.message, /AWS-supported/);
    assert.equal(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus' }).length, 0);
    const closed = await run(acts.closeCase, caseId);
    assert.equal(closed.caseStatus, 'Closed');
  });

  it('closeCase counts an already closed case as done', async () => {
    const caseId = await newCase();
    await fx.sir.closeCase(caseId);
    const closed = await run(acts.closeCase, caseId);
    assert.equal(closed.caseStatus, 'Closed');
    assert.ok(closed.closedAt);
  });

  it('addCaseComment posts the comment with its clientToken', async () => {
    const caseId = await newCase();
    const first = await run(acts.addCaseComment, { caseId, body: 'Approved by alice', clientToken: 'c-1' });
    const again = await run(acts.addCaseComment, { caseId, body: 'Approved by alice', clientToken: 'c-1' });
    assert.match(first.commentId, /^\d{6}$/);
    assert.equal(again.commentId, first.commentId);
  });

  it('an unknown case is ResourceNotFoundException, not retried', async () => {
    const f = await failure(run(acts.getCase, '9999999999'));
    assert.equal(f.type, 'ResourceNotFoundException');
    assert.equal(f.nonRetryable, true);
  });
});

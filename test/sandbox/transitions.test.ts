/**
 * UpdateCaseStatus enforces the domain's transition table (every pair of self-managed statuses,
 * each from a case walked there over HTTP), with the configured error for illegal moves, and the
 * AWS-supported and Closed special cases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SELF_MANAGED_STATUSES, type SelfManagedStatus } from '../../src/domain/case/status';
import { isAllowedTransition, TRANSITIONS } from '../../src/domain/case/transitions';
import { startTestSandbox, type SandboxTestContext, type SignedHttp } from './signed-http';

/** The shortest walk from Submitted to `target` through the table (found, not typed in). */
function walkTo(target: SelfManagedStatus): SelfManagedStatus[] {
  const paths = new Map<SelfManagedStatus, SelfManagedStatus[]>([['Submitted', []]]);
  const queue: SelfManagedStatus[] = ['Submitted'];
  while (queue.length > 0) {
    const from = queue.shift()!;
    for (const [f, to] of TRANSITIONS) {
      if (f === from && !paths.has(to)) {
        paths.set(to, [...paths.get(from)!, to]);
        queue.push(to);
      }
    }
  }
  const path = paths.get(target);
  if (!path) throw new Error(`${target} cannot be reached from Submitted`);
  return path;
}

async function caseIn(http: SignedHttp, status: SelfManagedStatus): Promise<string> {
  const caseId = await http.newCase();
  for (const step of walkTo(status)) {
    const res = await http.updateCaseStatus(caseId, step);
    assert.equal(res.status, 201, `walking to ${status}: ${step} answered ${res.status} ${res.text}`);
  }
  return caseId;
}

describe('sandbox UpdateCaseStatus transition rules', () => {
  let ctx: SandboxTestContext;

  before(async () => {
    ctx = await startTestSandbox();
  });
  after(() => ctx.sandbox.close());

  for (const from of SELF_MANAGED_STATUSES) {
    for (const to of SELF_MANAGED_STATUSES) {
      const allowed = isAllowedTransition(from, to);
      it(`${allowed ? 'accepts' : 'refuses'} ${from} → ${to}`, async () => {
        const caseId = await caseIn(ctx.http, from);
        const res = await ctx.http.updateCaseStatus(caseId, to);
        if (allowed) {
          assert.equal(res.status, 201);
          assert.deepEqual(res.json, { caseStatus: to });
          assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, to);
        } else {
          assert.equal(res.status, 409, res.text);
          assert.equal(res.headers['x-amzn-errortype'], 'ConflictException');
          assert.equal(res.json.resourceId, caseId);
          assert.equal(res.json.resourceType, 'case');
          assert.ok(res.json.message.length > 0);
          assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, from, 'a refused transition changes nothing');
        }
      });
    }
  }

  it('refuses a replay of an applied transition (X → X is not in the table)', async () => {
    const caseId = await caseIn(ctx.http, 'Detection and Analysis');
    const res = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
    assert.equal(res.status, 409);
    assert.match(res.json.message, /already in "Detection and Analysis"/);
  });

  it('refuses statuses AWS sets (Acknowledged) as a starting point', async () => {
    const caseId = await ctx.http.newCase();
    ctx.sandbox.setCaseStatus(caseId, 'Acknowledged');
    const res = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
    assert.equal(res.status, 409);
    assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Acknowledged');
  });

  it('refuses any UpdateCaseStatus on a Closed case with ConflictException', async () => {
    const caseId = await caseIn(ctx.http, 'Detection and Analysis');
    await ctx.http.closeCase(caseId);
    const res = await ctx.http.updateCaseStatus(caseId, 'Post-incident Activities');
    assert.equal(res.status, 409);
    assert.equal(res.json.__type, 'ConflictException');
    assert.match(res.json.message, /Closed/);
  });

  it('refuses UpdateCaseStatus on an AWS-supported case with ValidationException, but closes it', async () => {
    const caseId = await ctx.http.newCase({ resolverType: 'AWS' });
    const res = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
    assert.equal(res.status, 400);
    assert.equal(res.json.__type, 'ValidationException');
    assert.equal(res.json.reason, 'OTHER');
    assert.match(res.json.message, /AWS-supported/);
    assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    const closed = await ctx.http.closeCase(caseId);
    assert.equal(closed.status, 200);
    assert.equal(closed.json.caseStatus, 'Closed');
  });

  describe('with illegalTransitionError: ValidationException', () => {
    let strict: SandboxTestContext;
    before(async () => {
      strict = await startTestSandbox({ illegalTransitionError: 'ValidationException' });
    });
    after(() => strict.sandbox.close());

    it('answers an illegal transition with 400 ValidationException (reason OTHER)', async () => {
      const caseId = await strict.http.newCase();
      const res = await strict.http.updateCaseStatus(caseId, 'Post-incident Activities');
      assert.equal(res.status, 400);
      assert.equal(res.headers['x-amzn-errortype'], 'ValidationException');
      assert.equal(res.json.reason, 'OTHER');
      assert.match(res.json.message, /"Submitted" → "Post-incident Activities" is not an allowed UpdateCaseStatus transition/);
    });

    it('still answers ConflictException for a Closed case (a state conflict, not an illegal move)', async () => {
      const caseId = await strict.http.newCase();
      await strict.http.closeCase(caseId);
      assert.equal((await strict.http.updateCaseStatus(caseId, 'Detection and Analysis')).status, 409);
    });

    it('still accepts legal transitions', async () => {
      const caseId = await strict.http.newCase();
      assert.equal((await strict.http.updateCaseStatus(caseId, 'Detection and Analysis')).status, 201);
    });
  });
});

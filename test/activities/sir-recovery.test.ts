/**
 * Issue 12 part 3, "recover like the AWS SDKs", as one table: each row arms a fault in the sandbox
 * (real loopback HTTP, SigV4 checked), runs one SIR activity in a workflow on the real Temporal dev
 * server under the production retry policy, and checks the outcome, how many activity attempts
 * Temporal made (and the failure it retried), and the exact HTTP calls the sandbox answered.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createSirActivities, type MoveCaseRequest, type UpdateCaseStatusRequest } from '../../activities';
import { SANDBOX_DEFAULT_CREDENTIALS, startSandbox, type Fault, type FaultTarget, type SirSandbox, type StoredCase } from '../../src/sandbox';
import { SirClient } from '../../src/sir';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import type { runSirActivity, SirActivityName } from './workflows/run-sir-activity';

/** Two sets of temporary credentials: the chain hands out the second once the first has expired. */
const EXPIRING: AwsCredentialIdentity = {
  accessKeyId: 'ASIAPHASEGATEEXPIRE1',
  secretAccessKey: 'expiring/secret/for+the/recovery+test/000',
  sessionToken: 'session-token-that-expires',
};
const ROTATED: AwsCredentialIdentity = {
  accessKeyId: 'ASIAPHASEGATEROTATE2',
  secretAccessKey: 'rotated/secret/for+the/recovery+test/0000',
  sessionToken: 'session-token-after-rotation',
};

type ClientKind = 'default' | 'env-chain' | 'wrong-secret';

interface Row {
  name: string;
  /** Where the case stands before the row (set as an analyst would, out of band). */
  startAt?: 'Post-incident Activities';
  faults?: Array<[FaultTarget, Fault]>;
  client?: ClientKind;
  activity: SirActivityName;
  /** The expected result (or a function of the sandbox's case computing it), or the failure the workflow ends with. */
  result?: unknown;
  expectResult?: (stored: StoredCase) => unknown;
  failure?: { type: string };
  attempts: number;
  /** The failure Temporal retried before the last attempt. */
  retried?: string;
  /** [operation, status, error type] of each call the sandbox answered for the case, in order. */
  http: Array<[string, number, string?]>;
}

const DETECTION = 'Detection and Analysis';
const TO_DETECTION = (caseId: string): UpdateCaseStatusRequest => ({ caseId, from: 'Submitted', to: DETECTION });
const MOVE = (to: MoveCaseRequest['to']) => (caseId: string): MoveCaseRequest => ({
  caseId,
  expected: { status: 'Submitted', resolverType: 'Self' },
  to,
});

const ROWS: Array<Row & { args?: (caseId: string) => unknown }> = [
  {
    name: 'a 429 of an unmodelled type is throttling: retried after its Retry-After',
    faults: [['UpdateCaseStatus', { kind: 'unmodelled', status: 429, count: 1, errorType: 'TooManyRequestsException', body: 'json', retryAfterSeconds: 1 }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: false },
    attempts: 2,
    retried: 'ThrottlingException',
    http: [['UpdateCaseStatus', 429, 'TooManyRequestsException'], ['UpdateCaseStatus', 201]],
  },
  {
    name: 'a 429 HTML page without any type is throttling too',
    faults: [['UpdateCaseStatus', { kind: 'unmodelled', status: 429, count: 1 }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: false },
    attempts: 2,
    retried: 'ThrottlingException',
    http: [['UpdateCaseStatus', 429], ['UpdateCaseStatus', 201]],
  },
  ...([502, 503, 504] as const).map(
    (status): Row => ({
      name: `a ${status} HTML page from a gateway is transient`,
      faults: [['UpdateCaseStatus', { kind: 'unmodelled', status, count: 1 }]],
      activity: 'updateCaseStatus',
      result: { caseStatus: DETECTION, alreadyApplied: false },
      attempts: 2,
      retried: 'SirTransientError',
      http: [['UpdateCaseStatus', status], ['UpdateCaseStatus', 201]],
    }),
  ),
  {
    name: 'a connection reset is transient',
    faults: [['UpdateCaseStatus', { kind: 'reset', count: 1 }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: false },
    attempts: 2,
    retried: 'SirTransientError',
    http: [['UpdateCaseStatus', 0], ['UpdateCaseStatus', 201]],
  },
  {
    name: 'a connection reset after SIR applied the change: the retry is refused (409) and GetCase shows it done',
    faults: [['UpdateCaseStatus', { kind: 'reset', count: 1, afterApply: true }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: true },
    attempts: 2,
    retried: 'SirTransientError',
    http: [['UpdateCaseStatus', 0], ['UpdateCaseStatus', 409, 'ConflictException'], ['GetCase', 200]],
  },
  {
    name: 'Signature expired (the sandbox clock is 15 min ahead): the client learns the offset and tries again within the attempt',
    faults: [['*', { kind: 'clock-skew', offsetSeconds: 900 }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: false },
    attempts: 1,
    http: [['UpdateCaseStatus', 403, 'InvalidSignatureException'], ['UpdateCaseStatus', 201]],
  },
  {
    name: 'Signature not yet current (the sandbox clock is 15 min behind) is recovered the same way',
    faults: [['*', { kind: 'clock-skew', offsetSeconds: -900 }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: false },
    attempts: 1,
    http: [['UpdateCaseStatus', 403, 'InvalidSignatureException'], ['UpdateCaseStatus', 201]],
  },
  {
    name: 'ExpiredTokenException: the default chain is forced to refresh and the call goes again with the new credentials',
    client: 'env-chain',
    faults: [['*', { kind: 'expired-token', accessKeyIds: [EXPIRING.accessKeyId] }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: false },
    attempts: 1,
    http: [['UpdateCaseStatus', 403, 'ExpiredTokenException'], ['UpdateCaseStatus', 201]],
  },
  {
    name: 'ExpiredTokenException that no refresh can fix yet (fixed credentials) is retried by Temporal until it passes',
    faults: [['UpdateCaseStatus', { kind: 'expired-token', count: 2 }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: false },
    attempts: 3,
    retried: 'ExpiredTokenException',
    http: [['UpdateCaseStatus', 403, 'ExpiredTokenException'], ['UpdateCaseStatus', 403, 'ExpiredTokenException'], ['UpdateCaseStatus', 201]],
  },
  {
    name: 'a lost answer (500 after apply) whose retry SIR refuses with ValidationException counts as applied',
    faults: [
      ['UpdateCaseStatus', { kind: 'internal', count: 1, afterApply: true }],
      ['UpdateCaseStatus', { kind: 'illegal-transition', as: 'ValidationException', count: 2 }],
    ],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: true },
    attempts: 2,
    retried: 'InternalServerException',
    http: [['UpdateCaseStatus', 500, 'InternalServerException'], ['UpdateCaseStatus', 400, 'ValidationException'], ['GetCase', 200]],
  },
  {
    name: 'a lost answer whose retry SIR refuses with ConflictException counts as applied',
    faults: [['UpdateCaseStatus', { kind: 'internal', count: 1, afterApply: true }]],
    activity: 'updateCaseStatus',
    result: { caseStatus: DETECTION, alreadyApplied: true },
    attempts: 2,
    retried: 'InternalServerException',
    http: [['UpdateCaseStatus', 500, 'InternalServerException'], ['UpdateCaseStatus', 409, 'ConflictException'], ['GetCase', 200]],
  },
  {
    name: 'a real ValidationException (the case is not in the requested status) fails at once',
    faults: [['UpdateCaseStatus', { kind: 'error', name: 'ValidationException', count: 1 }]],
    activity: 'updateCaseStatus',
    failure: { type: 'ValidationException' },
    attempts: 1,
    http: [['UpdateCaseStatus', 400, 'ValidationException'], ['GetCase', 200]],
  },
  {
    name: 'a wrong secret (signature mismatch) is InvalidSignatureException and fails at once',
    client: 'wrong-secret',
    activity: 'updateCaseStatus',
    failure: { type: 'InvalidSignatureException' },
    attempts: 1,
    http: [['UpdateCaseStatus', 403, 'InvalidSignatureException']],
  },
  {
    name: 'moveCase: a reset after SIR applied the change is recognised on the next attempt by the read',
    faults: [['UpdateCaseStatus', { kind: 'reset', count: 1, afterApply: true }]],
    activity: 'moveCase',
    args: MOVE(DETECTION),
    result: { outcome: 'already-applied', caseStatus: DETECTION },
    attempts: 2,
    retried: 'SirTransientError',
    http: [['GetCase', 200], ['UpdateCaseStatus', 0], ['GetCase', 200]],
  },
  {
    name: 'moveCase: a case an analyst moved is reported as drifted and not written to',
    startAt: 'Post-incident Activities',
    activity: 'moveCase',
    args: MOVE(DETECTION),
    result: { outcome: 'drifted', actual: { status: 'Post-incident Activities', resolverType: 'Self' } },
    attempts: 1,
    http: [['GetCase', 200]],
  },
  {
    name: 'moveCase to Closed through a 503 on CloseCase: read again, then closed',
    faults: [['CloseCase', { kind: 'unmodelled', status: 503, count: 1 }]],
    activity: 'moveCase',
    args: MOVE('Closed'),
    expectResult: (stored) => ({ outcome: 'moved', caseStatus: 'Closed', closedAt: stored.closedDate?.toISOString() }),
    attempts: 2,
    retried: 'SirTransientError',
    http: [['GetCase', 200], ['CloseCase', 503], ['GetCase', 200], ['CloseCase', 200]],
  },
];

describe('SIR recovery table (sandbox faults × activities on a real Temporal server)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let sandbox: SirSandbox;
  let worker: Worker;
  let running: Promise<void>;
  let taskQueue: string;
  /** The client the activities use for the current row (a fresh one each time: clocks and credentials start clean). */
  let current: SirClient;

  before(async () => {
    env = await connectToTestServer();
    sandbox = await startSandbox({ port: 0, credentials: [SANDBOX_DEFAULT_CREDENTIALS, EXPIRING, ROTATED] });
    taskQueue = uniqueTaskQueue('sir-recovery');
    // The activities are the production ones; only the client behind them changes from row to row.
    const sir = new Proxy({} as SirClient, {
      get: (_target, prop) => {
        const value = Reflect.get(current, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
      },
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowsPath: require.resolve('./workflows/run-sir-activity'),
      activities: createSirActivities(sir),
    });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await sandbox?.close();
    await env?.teardown();
  });

  function clientFor(kind: ClientKind): SirClient {
    const base = { region: 'us-east-1', endpoint: sandbox.url };
    switch (kind) {
      case 'default':
        return new SirClient({ ...base, credentials: SANDBOX_DEFAULT_CREDENTIALS });
      case 'wrong-secret':
        return new SirClient({ ...base, credentials: { ...SANDBOX_DEFAULT_CREDENTIALS, secretAccessKey: 'not/the/secret/the+sandbox/knows/000000' } });
      case 'env-chain':
        // No credentials given: the client uses the SDK's default provider chain (memoized), which
        // reads the environment first.
        return new SirClient(base);
    }
  }

  for (const row of ROWS) {
    it(row.name, async () => {
      sandbox.reset();
      const setup = clientFor('default');
      const { caseId } = await setup.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
      if (row.startAt) sandbox.setCaseStatus(caseId, row.startAt);
      current = clientFor(row.client ?? 'default');

      const savedEnv = ENV_CREDENTIAL_NAMES.map((name) => [name, process.env[name]] as const);
      try {
        if (row.client === 'env-chain') {
          // The chain first resolves (and memoizes) the expiring session; then the source rotates,
          // as a role session or a container's credentials do, while the memoized copy stays.
          setEnvCredentials(EXPIRING);
          await current.getCase(caseId);
          setEnvCredentials(ROTATED);
        }
        sandbox.calls.clear();
        for (const [target, fault] of row.faults ?? []) sandbox.faults.inject(target, fault);

        const args = row.args ? row.args(caseId) : TO_DETECTION(caseId);
        const handle = await env.client.workflow.start<typeof runSirActivity>('runSirActivity', {
          taskQueue,
          workflowId: `sir-recovery-${randomUUID()}`,
          args: [row.activity, [args]],
        });
        const outcome = await handle.result().then(
          (result) => ({ result }),
          (err: unknown) => ({ failure: activityFailureOf(err) }),
        );

        if (row.failure) {
          assert.ok('failure' in outcome, `expected a ${row.failure.type} failure, got ${JSON.stringify(outcome)}`);
          assert.equal(outcome.failure.type, row.failure.type);
        } else {
          assert.ok('result' in outcome, `expected a result, got the failure ${'failure' in outcome ? outcome.failure.message : ''}`);
          assert.deepEqual(outcome.result, row.expectResult ? row.expectResult(sandbox.getCase(caseId)!) : row.result);
        }

        const started = await activityStarted(handle);
        assert.equal(started.attempt, row.attempts, 'activity attempts');
        assert.equal(started.lastFailure?.applicationFailureInfo?.type ?? undefined, row.retried, 'the failure Temporal retried');

        const http = sandbox.calls
          .list({ caseId })
          .map((c): [string, number, string?] => (c.errorType ? [c.operation, c.statusCode, c.errorType] : [c.operation, c.statusCode]));
        assert.deepEqual(http, row.http);

        if (row.client === 'env-chain') {
          assert.deepEqual(
            sandbox.calls.list({ caseId, operation: 'UpdateCaseStatus' }).map((c) => c.accessKeyId),
            [EXPIRING.accessKeyId, ROTATED.accessKeyId],
            'the retry is signed with the refreshed credentials',
          );
        }
      } finally {
        for (const [name, value] of savedEnv) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    });
  }
});

const ENV_CREDENTIAL_NAMES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

function setEnvCredentials(credentials: AwsCredentialIdentity): void {
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  process.env.AWS_SESSION_TOKEN = credentials.sessionToken ?? '';
}

function activityFailureOf(err: unknown): ApplicationFailure {
  assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
  assert.ok(err.cause instanceof ActivityFailure, `expected ActivityFailure, got ${String(err.cause)}`);
  assert.ok(err.cause.cause instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err.cause.cause)}`);
  return err.cause.cause;
}

/** The one ActivityTaskStarted event: Temporal writes it for the last attempt, with the failure before it. */
async function activityStarted(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const started = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes] : []));
  assert.equal(started.length, 1);
  return started[0]!;
}

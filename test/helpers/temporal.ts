/**
 * Test access to the one real Temporal dev server that scripts/test.ts starts for the whole run.
 * Every test file gets its own task queue, so files and tests never steal each other's tasks.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import type { SirClient } from '../../src/sir';
import { startSandboxFixture, type SandboxFixture } from './sir-sandbox';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { addSearchAttributes, ensureSearchAttributes } from '../../src/temporal/search-attribute-registration';
import { waitFor } from './wait';
import type { IdentityOptions } from '../../activities';
import type { ChannelDirectory } from '../../src/notify/channel';
import type { Logger } from 'pino';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { PlaybookCatalog } from '../../src/domain/playbook/catalog';
import { testGroupsOf } from './decisions';
import { describeReplayReport, registeredKeyRingsCodec, replayServerHistories } from './replay-server';

let runtimeInstalled = false;

/** Expected activity failures (injected faults) would otherwise flood the output at WARN level. */
export function installQuietRuntime(metricsAddress?: string): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger(process.env.PHASEGATE_TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'ERROR'),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
  runtimeInstalled = true;
}

export async function connectToTestServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address: testServerAddress(), namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
}

function testServerAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error('TEMPORAL_ADDRESS is not set: run the suite through `npm test`, which starts a dev server');
  }
  return address;
}

/**
 * The shared dev server, in a namespace of the caller's own with phasegate's search attributes: what
 * it lists (cases waiting, by status) is only its own cases, never those other files left parked, whose
 * workers are gone and whose queries would wait out their timeout. The suite's replay covers every namespace.
 */
export async function connectToOwnNamespace(prefix: string): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const address = testServerAddress();
  const namespace = `${prefix}-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await waitFor('the new namespace, with its search attributes', async () => {
      await connection.workflowService.describeNamespace({ namespace });
      await ensureSearchAttributes(connection, namespace);
      return true;
    }, 60_000, { intervalMs: 200 });
  } finally {
    await connection.close();
  }
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
}

/**
 * A fresh Java time-skipping server (found by scripts/test.ts) with phasegate's search attributes
 * registered; tests against it must run one at a time, since skipping time is global to a server.
 */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const path = process.env.PHASEGATE_TEST_SERVER;
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
  await addSearchAttributes(env.connection, env.namespace ?? 'default');
  // Its histories die with it: replay them first, so a nondeterminism error fails the test file.
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    try {
      const report = await replayServerHistories(env.connection, { namespaces: [env.namespace ?? 'default'], codec: registeredKeyRingsCodec(), visibility: 'open-and-closed' });
      if (report.failures.length > 0) throw new Error(describeReplayReport(report, 'a time-skipping test server'));
    } finally {
      await teardown();
    }
  };
  return env;
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Test workers trust Temporal access, as `phasegate dev` does, and take groups from TEST_GROUPS. */
export const TEST_IDENTITY: IdentityOptions = { trustTemporalAccess: true, groupsOf: testGroupsOf };

/**
 * The playbooks this test file's workers run, as a worker runs those of its playbook directory: a test
 * adds the playbook it starts a case with (testCaseOptions does), as an operator adds a file.
 */
export const TEST_PLAYBOOKS = new PlaybookCatalog();

/** caseWorkflowOptions for a case of a test worker: its playbook joins TEST_PLAYBOOKS first. */
export function testCaseOptions(input: CasePlaybookInput, taskQueue: string): ReturnType<typeof caseWorkflowOptions> {
  TEST_PLAYBOOKS.add(input.playbook);
  return caseWorkflowOptions(input, taskQueue);
}

export async function createTestWorker(
  env: TestWorkflowEnvironment,
  sir: SirClient,
  taskQueue: string,
  identity: IdentityOptions = TEST_IDENTITY,
  channels?: ChannelDirectory,
  logger?: Logger,
  playbooks: PlaybookCatalog = TEST_PLAYBOOKS,
): Promise<Worker> {
  return createPhasegateWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', sir, taskQueue, identity, channels, playbooks, ...(logger && { logger }) });
}

export interface WorkerFixture {
  env: TestWorkflowEnvironment;
  fx: SandboxFixture;
  taskQueue: string;
  close: () => Promise<void>;
}

/**
 * A Temporal environment (the shared dev server, or a fresh time-skipping server), a SIR sandbox and
 * a running phasegate worker on a task queue of this test file's own.
 */
export async function startWorkerFixture(
  prefix: string,
  server: 'dev' | 'time-skipping' = 'dev',
  identity: IdentityOptions = TEST_IDENTITY,
  channels?: ChannelDirectory,
): Promise<WorkerFixture> {
  const env = server === 'dev' ? await connectToTestServer() : await startTimeSkippingServer();
  const fx = await startSandboxFixture();
  const taskQueue = uniqueTaskQueue(prefix);
  const worker = await createTestWorker(env, fx.sir, taskQueue, identity, channels);
  const running = worker.run();
  return {
    env,
    fx,
    taskQueue,
    close: async () => {
      worker.shutdown();
      await running;
      await fx.sandbox.close();
      await env.teardown();
    },
  };
}

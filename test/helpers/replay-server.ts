/**
 * The suite as a replay check (issue 18): every workflow history a test server holds is replayed with
 * today's workflow code once the tests that made it are done. A nondeterminism error is a stranded case
 * in production, so one found here fails the run even when the test that made the history passed.
 *
 * scripts/test.ts replays the shared dev server after the suite; test/helpers/temporal.ts replays each
 * time-skipping server before it is torn down. Histories encrypted by a test are decoded with the key
 * rings tests register (registerTestKeyRing), so none is skipped for being unreadable.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionLike } from '@temporalio/client';
import { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { EncryptionCodec, parseKeyRing } from '../../src/temporal/payload-encryption';

/** Test workflows that are not casePlaybook's bundle (fixtures) replay from this module. */
export const REPLAY_WORKFLOWS_PATH = resolve(__dirname, 'replay-workflows.ts');

export interface ReplayFailure {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  error: string;
  nondeterminism: boolean;
}

export interface ReplayReport {
  histories: number;
  events: number;
  /** Runs without a single workflow task (nothing to replay). */
  neverRan: number;
  failures: ReplayFailure[];
}

/** Where tests record the key rings they encrypt with, for the replay after the suite (set by scripts/test.ts). */
const KEY_RINGS_FILE_ENV = 'PHASEGATE_TEST_KEY_RINGS';

/** A test that encrypts case data with a ring of its own names it here, so its histories can be replayed. */
export function registerTestKeyRing(spec: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env[KEY_RINGS_FILE_ENV];
  if (file) appendFileSync(file, `${spec}\n`, { mode: 0o600 });
}

/** Every key ring the tests registered, as one codec that decodes with whichever ring holds the key. */
export function registeredKeyRingsCodec(env: NodeJS.ProcessEnv = process.env): PayloadCodec | undefined {
  const file = env[KEY_RINGS_FILE_ENV];
  let specs: string[];
  try {
    specs = file ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  } catch {
    // No test registered a ring: the file was never written.
    specs = [];
  }
  if (specs.length === 0) return undefined;
  // The replay reads what is there: the histories of tests without encryption hold plain payloads.
  return new AnyRingCodec([...new Set(specs)].map((s) => new EncryptionCodec(parseKeyRing(s)).acceptingPlaintext()));
}

/** Decodes with the first ring that can; tests reuse key ids ("key-a") with different keys. */
class AnyRingCodec implements PayloadCodec {
  constructor(private readonly codecs: EncryptionCodec[]) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.decodeOne(p)));
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    let last: unknown;
    for (const codec of this.codecs) {
      try {
        return (await codec.decode([payload]))[0]!;
      } catch (err) {
        last = err;
      }
    }
    if (last === undefined) return payload;
    throw last instanceof Error ? last : new Error('no registered key ring decodes this payload');
  }
}

/** The bundle scripts/test.ts made once (PHASEGATE_REPLAY_BUNDLE), else the module, bundled on the spot. */
function replaySource(env: NodeJS.ProcessEnv = process.env): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const codePath = env.PHASEGATE_REPLAY_BUNDLE;
  return codePath ? { workflowBundle: { codePath } } : { workflowsPath: REPLAY_WORKFLOWS_PATH };
}

interface Target {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
}

/**
 * Replays every run of every workflow in the given namespaces (all of the server's when none is named)
 * with the product workflows and the test fixtures. Running workflows replay up to where they are.
 */
export async function replayServerHistories(
  connection: ConnectionLike,
  options: { namespaces?: string[]; codec?: PayloadCodec; visibility?: 'list' | 'open-and-closed'; workflowsPath?: string } = {},
): Promise<ReplayReport> {
  const namespaces = options.namespaces ?? (await listNamespaces(connection));
  const report: ReplayReport = { histories: 0, events: 0, neverRan: 0, failures: [] };
  const targets: Target[] = [];
  for (const namespace of namespaces) {
    const client = new Client({ connection, namespace });
    targets.push(...(options.visibility === 'open-and-closed' ? await listOpenAndClosed(connection, namespace) : await listAll(client, namespace)));
  }
  if (targets.length === 0) return report;
  const clients = new Map(namespaces.map((namespace) => [namespace, new Client({ connection, namespace })]));
  const replayed: Target[] = [];
  const histories = (async function* () {
    for (const target of targets) {
      const history = await clients.get(target.namespace)!.workflow.getHandle(target.workflowId, target.runId).fetchHistory();
      // A run no worker has taken a task of yet (a group window waiting out its start delay, a start
      // terminated at once) holds no decision of the code: there is nothing to replay, and the
      // replayer cannot take a history without a workflow task.
      if (!history.events?.some((e) => e.workflowTaskStartedEventAttributes)) {
        report.neverRan += 1;
        continue;
      }
      report.histories += 1;
      report.events += history.events.length;
      replayed.push(target);
      yield { workflowId: target.workflowId, history };
    }
  })();
  // One replayer for every namespace: the code replayed does not depend on where a history ran, and
  // each replayer costs a bundle load.
  const results = Worker.runReplayHistories(
    { ...(options.workflowsPath ? { workflowsPath: options.workflowsPath } : replaySource()), ...(options.codec && { dataConverter: { payloadCodecs: [options.codec] } }), replayName: 'suite-replay' },
    histories,
  );
  for await (const result of results) {
    const target = replayed.shift()!;
    if (target.workflowId !== result.workflowId) throw new Error(`replay results out of order: expected ${target.workflowId}, got ${result.workflowId}`);
    if (!result.error) continue;
    const name = result.error.name ?? 'Error';
    report.failures.push({
      ...target,
      error: `${name}: ${result.error.message}`,
      nondeterminism: name === 'DeterminismViolationError' || /TMPRL1100|[Nn]ondeterminism/.test(result.error.message),
    });
  }
  return report;
}

async function listAll(client: Client, namespace: string): Promise<Target[]> {
  const targets: Target[] = [];
  for await (const wf of client.workflow.list()) targets.push({ namespace, workflowId: wf.workflowId, runId: wf.runId, workflowType: wf.type });
  return targets;
}

/** The Java time-skipping server has no list query: it serves the older open and closed lists only. */
async function listOpenAndClosed(connection: ConnectionLike, namespace: string): Promise<Target[]> {
  const targets: Target[] = [];
  const service = connection.workflowService;
  type Page = { executions?: temporal.api.workflow.v1.IWorkflowExecutionInfo[] | null; nextPageToken?: Uint8Array | null };
  const lists: Array<(request: { namespace: string; maximumPageSize: number; nextPageToken?: Uint8Array }) => Promise<Page>> = [
    (request) => service.listOpenWorkflowExecutions(request),
    (request) => service.listClosedWorkflowExecutions(request),
  ];
  for (const list of lists) {
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await list({ namespace, maximumPageSize: 1000, ...(nextPageToken && { nextPageToken }) });
      for (const info of page.executions ?? []) {
        targets.push({ namespace, workflowId: info.execution?.workflowId ?? '', runId: info.execution?.runId ?? '', workflowType: info.type?.name ?? '' });
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
  }
  return targets;
}

async function listNamespaces(connection: ConnectionLike): Promise<string[]> {
  const names: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.listNamespaces({ pageSize: 100, ...(nextPageToken && { nextPageToken }) });
    for (const ns of page.namespaces ?? []) {
      const name = ns.namespaceInfo?.name;
      if (name && name !== 'temporal-system') names.push(name);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return names;
}

export function describeReplayReport(report: ReplayReport, where: string): string {
  const lines = [`replayed ${report.histories} histories (${report.events} events) from ${where}: ${report.failures.length} failed${report.neverRan ? ` (${report.neverRan} runs had no workflow task yet)` : ''}`];
  for (const f of report.failures.slice(0, 20)) {
    lines.push(`  ${f.nondeterminism ? 'NONDETERMINISM' : 'replay error'}: ${f.namespace}/${f.workflowId} run ${f.runId} (${f.workflowType}): ${f.error.split('\n')[0]}`);
  }
  if (report.failures.length > 20) lines.push(`  … and ${report.failures.length - 20} more`);
  return lines.join('\n');
}

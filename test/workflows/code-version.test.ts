/**
 * Which code a case runs (issue 20.3): since the `code-version` patch a case publishes the search
 * attribute PhasegateCodeVersion, so the cases still on an old code path can be found, drained or
 * moved on before that path is deleted (docs/workflow-history.md, "Retiring an old code path").
 *
 * Honest old cases: a worker runs the workflow code of the commit before `code-version` (taken from
 * git and bundled here), as a fleet did before the upgrade; then a worker with today's code takes over
 * the same task queue. The doc's shell blocks run as written, with the Temporal CLI, in a namespace of
 * this file's own so the queries see only its cases. Real dev server, real workers, the SIR sandbox.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { duplicateAlertSignal, stateQuery } from '../../src/domain/contract/messages';
import { PlaybookCatalog } from '../../src/domain/playbook/catalog';
import { PhasegateCodeVersion } from '../../src/domain/contract/search-attributes';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture, startSandboxFixture } from '../helpers/sir-sandbox';
import { TEST_IDENTITY, connectToOwnNamespace, uniqueTaskQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { temporalCliPath } from '../deploy/temporal-cli';

const ROOT = resolve(__dirname, '..', '..');
const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const GATED = testPlaybook('code-version', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
const run = promisify(execFile);

/** The shell block that follows `<!-- retire-flow: <name> -->` in docs/workflow-history.md. */
async function docBlock(name: string): Promise<string> {
  const doc = await readFile(join(ROOT, 'docs', 'workflow-history.md'), 'utf8');
  const match = new RegExp(`<!-- retire-flow: ${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (!match) throw new Error(`docs/workflow-history.md has no "retire-flow: ${name}" block`);
  return match[1]!;
}

/**
 * The workflow code of the commit just before `code-version` came in: found by git (the first commit
 * that added the patch's constant), taken out with `git archive` and bundled as a worker would.
 */
async function bundleBeforeCodeVersion(work: string): Promise<{ commit: string; code: string }> {
  const { stdout } = await run('git', ['log', '--reverse', '--format=%H', '-S', "const CODE_VERSION = 'code-version'", '--', 'workflows'], { cwd: ROOT }).catch((err: Error) => {
    throw new Error(`this test takes the workflow code from before code-version out of git (a full clone is needed): ${err.message}`);
  });
  const introduced = stdout.split('\n')[0]?.trim();
  assert.ok(introduced, 'git finds the commit that introduced the code-version patch');
  const commit = (await run('git', ['rev-parse', `${introduced}^`], { cwd: ROOT })).stdout.trim();
  await run('sh', ['-c', `git archive ${commit} workflows src activities | tar -x -C "${work}"`], { cwd: ROOT });
  await symlink(join(ROOT, 'node_modules'), join(work, 'node_modules'));
  const { code } = await bundleWorkflowCode({ workflowsPath: join(work, 'workflows', 'index.ts'), logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } });
  return { commit, code };
}
function noop(): void {}

/** Runs a doc block in bash with the Temporal CLI pointed at this file's namespace. */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: code ?? 1, stdout, stderr }));
  });
}

describe('PhasegateCodeVersion: which code a case runs, and the retiring flow of docs/workflow-history.md (real dev server)', { timeout: 420_000 }, () => {
  let namespace: string;
  const taskQueue = uniqueTaskQueue('code-version');
  const playbooks = new PlaybookCatalog([GATED]);
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let work: string;
  let older: { commit: string; code: string };
  let cliEnv: NodeJS.ProcessEnv;
  let current: { worker: Worker; running: Promise<void> } | undefined;

  const workerWith = async (bundle?: string): Promise<{ worker: Worker; running: Promise<void> }> => {
    const worker = await createPhasegateWorker({
      connection: env.nativeConnection,
      namespace,
      sir: fx.sir,
      taskQueue,
      identity: TEST_IDENTITY,
      playbooks,
      ...(bundle && { tuning: { workflowsPath: undefined, workflowBundle: { code: bundle } } }),
    });
    return { worker, running: worker.run() };
  };
  const start = async (extra: Partial<CasePlaybookInput> = {}): Promise<WorkflowHandle<typeof casePlaybook>> =>
    env.client.workflow.start(
      casePlaybook,
      caseWorkflowOptions(
        {
          fingerprint: `code-version-${randomUUID()}`,
          playbook: GATED,
          severity: 5,
          newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
          ...extra,
        },
        taskQueue,
      ),
    );
  const atGate = (handle: WorkflowHandle) =>
    waitFor(`${handle.workflowId} to wait at its gate`, async () => ((await handle.query(stateQuery)).pendingApproval?.target === CER ? true : undefined), 60_000);
  const codeVersionOf = async (handle: WorkflowHandle, runId?: string): Promise<string | undefined> =>
    (await env.client.workflow.getHandle(handle.workflowId, runId).describe()).typedSearchAttributes.get(PhasegateCodeVersion);

  before(async () => {
    env = await connectToOwnNamespace('code-version');
    namespace = env.namespace!;
    const address = process.env.TEMPORAL_ADDRESS!;
    fx = await startSandboxFixture();
    work = await mkdtemp(join(tmpdir(), 'phasegate-before-code-version-'));
    older = await bundleBeforeCodeVersion(work);
    cliEnv = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, PATH: `${join(temporalCliPath(), '..')}:${process.env.PATH ?? ''}` };
  });
  after(async () => {
    if (current) {
      current.worker.shutdown();
      await current.running;
    }
    await fx?.sandbox.close();
    await env?.teardown();
    if (work) await rm(work, { recursive: true, force: true });
  });

  let oldCase: WorkflowHandle<typeof casePlaybook>;
  let drainedCase: WorkflowHandle<typeof casePlaybook>;
  let newCase: WorkflowHandle<typeof casePlaybook>;

  it('a case started on the code before code-version has no PhasegateCodeVersion; one started on today\'s code has "code-version"', async () => {
    // The fleet before the upgrade: two cases parked at their gate.
    current = await workerWith(older.code);
    oldCase = await start({ continueAsNewAfterEvents: 40 });
    drainedCase = await start();
    await atGate(oldCase);
    await atGate(drainedCase);
    current.worker.shutdown();
    await current.running;

    // The upgrade: today's code takes the queue over, old cases included.
    current = await workerWith();
    newCase = await start();
    await atGate(newCase);
    assert.equal(await codeVersionOf(newCase), 'code-version');
    // An old case replays on today's code and stays on its path: it asks no patch it did not ask then.
    await atGate(oldCase);
    assert.equal(await codeVersionOf(oldCase), undefined, `the case of ${older.commit.slice(0, 8)} carries no code version`);
    assert.equal(await codeVersionOf(drainedCase), undefined);
    const markers = (await newCase.fetchHistory()).events?.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch') ?? [];
    assert.equal(markers.length, 1, 'a new case records one patch marker');
    const text = Object.values(markers[0]!.markerRecordedEventAttributes!.details ?? {}).flatMap((p) => p.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join(' ');
    assert.match(text, /code-version/);
  });

  it('finds the old cases with the doc\'s query, as written, and the new one by its code version', async () => {
    const find = await bash(await docBlock('find'), cliEnv);
    assert.equal(find.code, 0, find.stderr);
    const [count, oldList, newList] = find.stdout.split(/^(?=Total: |\s*Status\s+WorkflowId)/m).filter((part) => part.trim());
    assert.match(count!, /^Total: 2\s*$/, find.stdout);
    assert.ok(oldList!.includes(oldCase.workflowId) && oldList!.includes(drainedCase.workflowId), oldList);
    assert.ok(!oldList!.includes(newCase.workflowId), oldList);
    assert.ok(newList!.includes(newCase.workflowId), newList);
    assert.ok(!newList!.includes(oldCase.workflowId) && !newList!.includes(drainedCase.workflowId), newList);
  });

  it('an old case that continues as new on today\'s code takes today\'s path and says so; the flags of a continued code-version run keep it', async () => {
    const firstRunId = (await oldCase.describe()).runId;
    // Its history grows past its threshold (as Temporal's own suggestion would): it continues as new.
    await waitFor('the old case to continue as new', async () => {
      if ((await oldCase.describe()).runId !== firstRunId) return true;
      await oldCase.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
      return undefined;
    }, 60_000, { intervalMs: 300 });
    await atGate(oldCase);
    const state = await oldCase.query(stateQuery);
    assert.equal(state.pendingApproval?.target, CER, 'the gate was carried over');
    await waitFor('the continued run to publish its code version', async () => ((await codeVersionOf(oldCase)) === 'code-version' ? true : undefined), 20_000);
    assert.equal(await codeVersionOf(oldCase, firstRunId), undefined, 'its first run stays as it was');

    // A case that started on code-version and continues carries the answer: its next run asks no patch.
    const carried = await start({ continueAsNewAfterEvents: 30 });
    await atGate(carried);
    const carriedFirst = (await carried.describe()).runId;
    await waitFor('the code-version case to continue as new', async () => {
      if ((await carried.describe()).runId !== carriedFirst) return true;
      await carried.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
      return undefined;
    }, 60_000, { intervalMs: 300 });
    await atGate(carried);
    assert.equal(await codeVersionOf(carried), 'code-version');
    const second = (await carried.fetchHistory()).events ?? [];
    assert.deepEqual(second.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'), [], 'the continued run asks no patch');
    assert.ok(!second.some((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.PhasegateCodeVersion), 'nor sends the value its first run set');
    await carried.terminate('test done');
  });

  it('drains the remaining old case with the doc\'s cancel, as written: the new cases run on', async () => {
    const drain = await bash(await docBlock('drain'), cliEnv);
    assert.equal(drain.code, 0, `${drain.stderr}\n${drain.stdout}`);
    await waitFor('the old case to be cancelled', async () => ((await drainedCase.describe()).status.name === 'CANCELLED' ? true : undefined), 60_000, { intervalMs: 500 });
    const comments = fx.sandbox.calls.list({ operation: 'CreateCaseComment', caseId: (await drainedCase.query(stateQuery)).caseId });
    assert.ok(comments.some((c) => (c.requestBody as { body: string }).body.includes('cancelled by an operator')), 'the SIR case says it is no longer driven');
    assert.equal((await oldCase.describe()).status.name, 'RUNNING');
    assert.equal((await newCase.describe()).status.name, 'RUNNING');
    const left = await bash(`temporal workflow count --query "WorkflowType = 'casePlaybook' AND ExecutionStatus = 'Running' AND PhasegateCodeVersion IS NULL"`, cliEnv);
    assert.match(left.stdout, /^Total: 0\s*$/);
    await oldCase.terminate('test done');
    await newCase.terminate('test done');
  });
});

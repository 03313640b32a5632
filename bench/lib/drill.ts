/**
 * What the fault drills share: waiting for case workflows to finish (through visibility, as an
 * operator would look), checking the sandbox's call log for statuses applied twice, the CPU the
 * stack spent on the drill's cases, and the verdict.
 */
import type { Client } from '@temporalio/client';
import type { Machine } from './report';
import { machineLine, progress, sleep } from './report';
import type { SandboxTap } from './sandbox-tap';
import { cpuBetween, cpuPerCase, cpuPerCaseLine, type Stack } from './stack';
import { WORKFLOWS_PATH } from '../../src/temporal/workflow-bundle';
import { describeReplayReport, replayServerHistories } from '../../test/helpers/replay-server';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/** Polls visibility until `expected` workflows of the playbook are no longer running, or the time is up. */
export async function waitForClosed(client: Client, playbook: string, expected: number, timeoutMs: number): Promise<{ closed: number; ms: number }> {
  const started = Date.now();
  let closed = 0;
  let lastReport = 0;
  while (Date.now() - started < timeoutMs) {
    try {
      closed = (await client.workflow.count(`PlaybookName = '${playbook}' AND ExecutionStatus != 'Running'`)).count;
    } catch (err) {
      progress(`visibility count failed (${(err as Error).message.split('\n')[0]}); retrying`);
    }
    if (closed >= expected) break;
    if (Date.now() - lastReport > 10_000) {
      progress(`${closed}/${expected} case workflows finished`);
      lastReport = Date.now();
    }
    await sleep(1_000);
  }
  return { closed, ms: Date.now() - started };
}

/** Every workflow of the playbook with its status name (COMPLETED, FAILED, RUNNING, …). */
export async function statusesOf(client: Client, playbook: string): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for await (const wf of client.workflow.list({ query: `PlaybookName = '${playbook}'` })) statuses.set(wf.workflowId, wf.status.name);
  return statuses;
}

export function countValues(map: Map<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of map.values()) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/**
 * The sandbox's call log proves at-least-once execution never did a status change twice, and that
 * every case of the auto-close playbook got each of its statuses exactly once.
 */
export function appliedOnceChecks(tap: SandboxTap, workflowIds: ReadonlySet<string>): Check[] {
  const twice = appliedTwice(tap);
  const incomplete = incompleteCases(tap, workflowIds);
  const n = workflowIds.size;
  return [
    check('no status applied twice', twice.length === 0, `${twice.length} (case, status) pairs applied more than once: ${sample(twice)}`),
    check('every status applied once per case', incomplete.length === 0, `${n - incomplete.length}/${n} cases with D&A, Containment, Post-incident and Closed each applied once; ${sample(incomplete)}`),
  ];
}

/** Status changes the sandbox applied more than once (same case, same target, both successful). */
function appliedTwice(tap: SandboxTap): string[] {
  return [...tap.appliedStatuses()].filter(([, n]) => n > 1).map(([key, n]) => `${key} ×${n}`);
}

/** Cases (by workflow id) that did not get every status of the auto-close playbook exactly once. */
function incompleteCases(tap: SandboxTap, workflowIds: Iterable<string>): string[] {
  const applied = tap.appliedStatuses();
  const byCase = tap.workflowIdsByCase();
  const caseOf = new Map([...byCase].map(([caseId, wf]) => [wf, caseId]));
  const wanted = ['Detection and Analysis', 'Containment, Eradication and Recovery', 'Post-incident Activities', 'Closed'];
  const bad: string[] = [];
  for (const wf of workflowIds) {
    const caseId = caseOf.get(wf);
    if (!caseId) {
      bad.push(`${wf}: no case`);
      continue;
    }
    const missing = wanted.filter((s) => applied.get(`${caseId} → ${s}`) !== 1);
    if (missing.length > 0) bad.push(`${wf} (case ${caseId}): ${missing.map((s) => `${s} ×${applied.get(`${caseId} → ${s}`) ?? 0}`).join(', ')}`);
  }
  return bad;
}

/** What the stack spent on a drill's cases: per case and part (ms), and in all (s, cores busy). */
export interface DrillCpu {
  cpuMsPerCase: Record<string, number>;
  cpuDuringCases: ReturnType<typeof cpuBetween>;
  /** The readable line (cpuPerCaseLine). */
  line: string;
}

/**
 * CPU of each part of the stack over a drill's cases, from stack.cpuSeconds() snapshots taken at
 * start() (before the first alert) and stop() (once the cases are waited for), through cpuBetween
 * and cpuPerCase as the benches use them.
 *
 * cpuSeconds() reads /proc of the processes alive when it is called: a process the drill kills would
 * drop out (a worker) or come back under the same name from zero (Temporal after its restart), and
 * what it used before the kill would be lost. beforeKill() samples right before the kill and books
 * the killed parts' CPU so far; stop() adds it to what their replacements used since they started.
 */
export class CpuMeter {
  private readonly carried: Record<string, number> = {};

  private constructor(
    private readonly stack: Pick<Stack, 'cpuSeconds'>,
    private readonly before: Record<string, number>,
    private readonly startedAt: number,
  ) {}

  static async start(stack: Pick<Stack, 'cpuSeconds'>): Promise<CpuMeter> {
    const before = await stack.cpuSeconds();
    return new CpuMeter(stack, before, Date.now());
  }

  /** Call right before killing the parts `killed` matches (cpuSeconds() names); returns their names. */
  async beforeKill(killed: (part: string) => boolean): Promise<string[]> {
    const now = await this.stack.cpuSeconds();
    const parts = Object.keys(now).filter(killed);
    if (parts.length === 0) throw new Error(`no CPU figure for the part about to be killed among: ${Object.keys(now).join(', ')}`);
    for (const part of parts) this.carried[part] = (this.carried[part] ?? 0) + now[part]!;
    return parts;
  }

  /** CPU over the cases, `cases` of them; `what` names the case in the readable line. */
  async stop(cases: number, what: string): Promise<DrillCpu> {
    const now = await this.stack.cpuSeconds();
    const wallSeconds = (Date.now() - this.startedAt) / 1000;
    const after = { ...now };
    for (const [part, used] of Object.entries(this.carried)) after[part] = used + (now[part] ?? 0);
    const cpuMsPerCase = cpuPerCase(this.before, after, cases);
    return { cpuMsPerCase, cpuDuringCases: cpuBetween(this.before, after, wallSeconds), line: cpuPerCaseLine(cpuMsPerCase, what) };
  }
}

/**
 * Prints PASS or FAIL with the counts (JSON line first, then a readable list, then `lines`) and sets
 * the exit code.
 */
export function verdict(drill: string, machine: Machine, checks: Check[], figures: Record<string, unknown>, lines: string[] = []): boolean {
  const pass = checks.every((c) => c.ok);
  console.log(JSON.stringify({ drill, at: new Date().toISOString(), result: pass ? 'PASS' : 'FAIL', machine, checks, figures }));
  console.log('');
  console.log(`${pass ? 'PASS' : 'FAIL'} ${drill}`);
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  for (const line of lines) console.log(`  ${line}`);
  console.log(`  ${machineLine(machine)}`);
  process.exitCode = pass ? 0 : 1;
  return pass;
}

/**
 * Every history the drill left (each run of each case) replayed with today's workflow code: a drill
 * that passes while a case would strand on a nondeterminism error when next replayed has not passed.
 */
export async function replayCheck(stack: Stack): Promise<Check> {
  const started = Date.now();
  const report = await replayServerHistories(stack.client.connection, { namespaces: [stack.temporal.namespace], workflowsPath: WORKFLOWS_PATH });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return check('every history replays', report.failures.length === 0, `${describeReplayReport(report, 'Temporal').replace(/\n/g, '; ')} (${seconds} s)`);
}

export function sample(list: string[], n = 5): string {
  return list.length === 0 ? 'none' : `${list.slice(0, n).join('; ')}${list.length > n ? ` … (${list.length} in all)` : ''}`;
}

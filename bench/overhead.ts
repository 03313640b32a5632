/**
 * Bench 3: what the casePlaybook costs over the bare minimum Temporal needs for the same work.
 *
 *   node --import tsx bench/overhead.ts [--workflows 200] [--rounds 3] [--concurrency 100]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Same Temporal, same run, alternated batches: (a) casePlaybook on the auto-close bench playbook,
 * N = 3 status steps without approval plus the case's CreateCase, comment and CloseCase, every call
 * going to the sandbox over HTTP; (b) a bare workflow running N = 3 no-op activities; (c) a bare
 * workflow making exactly the case's SIR calls (CreateCase, a comment, GetCase + UpdateCaseStatus per
 * step, GetCase + CloseCase) as queued activities, and (d) the same as local activities. Workflows are
 * started from this process with the Temporal client (the webhook is measured by benches 1, 2 and 5)
 * and each batch is timed from the first start to the last result. Ratio = casePlaybook throughput /
 * the other's. Each kind also gets CPU per workflow for each process and a profile of its histories
 * (events, workflow tasks, activities, upserts, visibility writes).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseAlert } from '../src/domain/alert/parse';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import { alertFingerprint } from '../src/domain/alert/fingerprint';
import { newCaseFromAlert } from '../src/domain/case/new-case-from-alert';
import type { Playbook } from '../src/domain/playbook/playbook';
import { routeAlert } from '../src/domain/playbook/routing';
import { loadPlaybooksOrThrow } from '../src/config/playbook-directory';
import { caseWorkflowOptions } from '../src/temporal/case-workflow-options';
import type { casePlaybook } from '../workflows';
import { benchAlert, mapLimit } from './lib/alerts';
import type { BareSirCase } from './lib/bare-sir-activities';
import { type HistoryProfile, historyProfileLine, profileHistories } from './lib/history-profile';
import { Options, machineLine, markdownTable, printReport, progress, round } from './lib/report';
import { BARE_TASK_QUEUE, cpuPerCase, cpuPerCaseLine, startStack, temporalEngineOption, type Stack } from './lib/stack';

async function main(): Promise<void> {
  const opts = new Options();
  const count = opts.number('workflows', 200);
  const rounds = opts.number('rounds', 3);
  const concurrency = opts.number('concurrency', 100);
  const engine = temporalEngineOption(opts);
  opts.done();

  const [playbook] = (await loadPlaybooksOrThrow(join(__dirname, 'playbooks', 'auto-close'))).map((p) => p.playbook);
  const steps = playbook!.steps.length;
  const stack = await startStack({ playbooks: 'auto-close', bareWorker: true, server: false, engine });
  const kinds = [
    { name: `casePlaybook (${steps} steps + create, comment, close)`, key: 'casePlaybook', run: (s: Stack, r: number) => runCases(s, playbook!, r, count, concurrency) },
    { name: `bare, ${steps} no-op activities`, key: `bare${steps}`, run: (s: Stack, r: number) => runBare(s, r, count, concurrency, steps) },
    { name: 'bare, the same SIR calls as queued activities', key: 'bareSirQueued', run: (s: Stack, r: number) => runBareSir(s, playbook!, r, count, concurrency, 'queued') },
    { name: 'bare, the same SIR calls as local activities', key: 'bareSirLocal', run: (s: Stack, r: number) => runBareSir(s, playbook!, r, count, concurrency, 'local') },
  ];
  const lastIds: Record<string, string[]> = {};
  const samples: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k.key, []]));
  // CPU seconds per part, summed over a kind's measured batches (one kind runs at a time).
  const cpuUsed: Record<string, Record<string, number>> = Object.fromEntries(kinds.map((k) => [k.key, {}]));
  const profiles: Record<string, HistoryProfile> = {};
  try {
    // A small warm-up of each kind, so webpack-free bundles, caches and connections are hot.
    for (const kind of kinds) await kind.run(stack, -1);
    for (let r = 0; r < rounds; r++) {
      for (const kind of kinds) {
        const cpuBefore = await stack.cpuSeconds();
        const { perSecond, workflowIds } = await kind.run(stack, r);
        lastIds[kind.key] = workflowIds;
        const cpuAfter = await stack.cpuSeconds();
        for (const [part, end] of Object.entries(cpuAfter)) cpuUsed[kind.key]![part] = (cpuUsed[kind.key]![part] ?? 0) + end - (cpuBefore[part] ?? 0);
        samples[kind.key]!.push(perSecond);
        progress(`round ${r + 1}: ${kind.name}: ${perSecond.toFixed(1)} workflows/s`);
      }
    }
    progress('reading a sample of each kind\'s histories');
    for (const kind of kinds) profiles[kind.key] = await profileHistories(stack.client, lastIds[kind.key] ?? []);
  } finally {
    await stack.stop();
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const caseRate = mean(samples.casePlaybook!);
  const rows = kinds.map((k) => {
    const rate = mean(samples[k.key]!);
    const cpuMsPerWorkflow = cpuPerCase({}, cpuUsed[k.key]!, count * rounds);
    return { kind: k.name, workflowsPerSecond: round(rate, 1), perRound: samples[k.key]!.map((x) => round(x, 1)), ratio: round(caseRate / rate, 2), cpuMsPerWorkflow, history: profiles[k.key] };
  });
  const table = markdownTable(
    ['workflow', 'workflows/s (mean)', 'per round', 'casePlaybook ÷ this', 'CPU ms per workflow (whole stack)', 'events', 'workflow tasks', 'queued / local activities', 'visibility writes'],
    rows.map((r) => [
      r.kind,
      r.workflowsPerSecond,
      r.perRound.join(' / '),
      r.ratio,
      r.cpuMsPerWorkflow.total,
      r.history?.events ?? '',
      r.history?.workflowTasks ?? '',
      r.history ? `${r.history.activityTasks} / ${r.history.localActivities}` : '',
      r.history?.visibilityWrites ?? '',
    ]),
  );
  printReport(
    'overhead',
    { machine: stack.machine, options: { workflows: count, rounds, concurrency, steps, engine: stack.engine }, results: rows, overheadRatio: rows[1]!.ratio, overheadRatioSameSirCallsQueued: rows[2]!.ratio, overheadRatioSameSirCallsLocal: rows[3]!.ratio },
    table,
    [
      `${count} workflows per batch, ${rounds} alternated rounds after a warm-up, ${concurrency} starts in flight; one phasegate worker and one bare worker (both child processes, one busy at a time).`,
      ...rows.map((r) => `${r.kind}: ${cpuPerCaseLine(r.cpuMsPerWorkflow, 'workflow')}`),
      ...rows.flatMap((r) => (r.history ? [historyProfileLine(r.history, `${r.kind}, whole history`)] : [])),
      machineLine(stack.machine),
    ],
  );
}

async function runCases(stack: Stack, playbook: Playbook, round: number, count: number, concurrency: number): Promise<Batch> {
  const n = round < 0 ? Math.min(20, count) : count;
  const inputs = Array.from({ length: n }, (_, i) => {
    const parsed = parseAlert(JSON.parse(benchAlert(1_000_000 * (round + 2) + i).raw));
    if (!parsed.ok) throw new Error(`bench alert refused: ${parsed.error}`);
    const routed = routeAlert([playbook], parsed.alert);
    if (!routed.ok) throw new Error(routed.reason);
    const input: CasePlaybookInput = {
      fingerprint: alertFingerprint(parsed.alert),
      playbook: routed.playbook,
      severity: parsed.alert.severity,
      newCase: newCaseFromAlert(routed.playbook, parsed.alert, new Date()),
    };
    return input;
  });
  const started = performance.now();
  const workflowIds = await mapLimit(inputs, concurrency, async (input) => {
    const handle = await stack.client.workflow.start<typeof casePlaybook>('casePlaybook', { ...caseWorkflowOptions(input), workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    await handle.result();
    return handle.workflowId;
  });
  return { perSecond: n / ((performance.now() - started) / 1000), workflowIds };
}

async function runBareSir(stack: Stack, playbook: Playbook, round: number, count: number, concurrency: number, kind: 'queued' | 'local'): Promise<Batch> {
  const n = round < 0 ? Math.min(20, count) : count;
  const requests = Array.from({ length: n }, (_, i) => {
    const parsed = parseAlert(JSON.parse(benchAlert(1_000_000 * (round + 2) + 500_000 + i).raw));
    if (!parsed.ok) throw new Error(`bench alert refused: ${parsed.error}`);
    const request: BareSirCase = {
      newCase: newCaseFromAlert(playbook, parsed.alert, new Date()),
      clientToken: `bare-${kind}-${randomUUID()}`,
      steps: playbook.steps.map((s) => s.status),
    };
    return request;
  });
  const started = performance.now();
  const workflowIds = await mapLimit(requests, concurrency, async (request, i) => {
    const workflowId = `bare-sir-${kind}-${round}-${i}-${Date.now()}`;
    await stack.client.workflow.execute('bareSirWorkflow', { taskQueue: BARE_TASK_QUEUE, workflowId, args: [request, kind] });
    return workflowId;
  });
  return { perSecond: n / ((performance.now() - started) / 1000), workflowIds };
}

interface Batch {
  perSecond: number;
  workflowIds: string[];
}

async function runBare(stack: Stack, round: number, count: number, concurrency: number, activities: number): Promise<Batch> {
  const n = round < 0 ? Math.min(20, count) : count;
  const started = performance.now();
  const workflowIds = await mapLimit(Array.from({ length: n }, (_, i) => i), concurrency, async (i) => {
    const workflowId = `bare-${activities}-${round}-${i}-${Date.now()}`;
    await stack.client.workflow.execute('bareNoopWorkflow', { taskQueue: BARE_TASK_QUEUE, workflowId, args: [activities] });
    return workflowId;
  });
  return { perSecond: n / ((performance.now() - started) / 1000), workflowIds };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

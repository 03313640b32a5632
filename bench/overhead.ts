/**
 * Bench 3: what the casePlaybook costs over the bare minimum Temporal needs for the same steps.
 *
 *   node --import tsx bench/overhead.ts [--workflows 200] [--rounds 3] [--concurrency 100]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Same dev server, same run, alternated batches: (a) casePlaybook on the auto-close bench playbook,
 * N = 3 status steps without approval plus the case's CreateCase, comment and CloseCase, every call
 * going to the sandbox over HTTP; (b) a bare workflow running N = 3 no-op activities; (c) a bare
 * workflow running 6 no-op activities (one per activity the case runs). Workflows are started from
 * this process with the Temporal client (the webhook is measured by benches 1, 2 and 5) and each batch
 * is timed from the first start to the last result. Ratio = casePlaybook throughput / bare throughput.
 */
import { join } from 'node:path';
import { parseAlert } from '../src/domain/alert-parse';
import type { CasePlaybookInput } from '../src/domain/case-playbook-input';
import { alertFingerprint } from '../src/domain/fingerprint';
import { newCaseFromAlert } from '../src/domain/new-case-from-alert';
import type { Playbook } from '../src/domain/playbook';
import { routeAlert } from '../src/domain/playbook-routing';
import { loadPlaybooksOrThrow } from '../src/server/playbook-directory';
import { caseWorkflowOptions } from '../src/temporal/case-workflow-options';
import type { casePlaybook } from '../workflows';
import { benchAlert, mapLimit } from './lib/alerts';
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
    { name: `bare, ${steps + 3} no-op activities`, key: `bare${steps + 3}`, run: (s: Stack, r: number) => runBare(s, r, count, concurrency, steps + 3) },
  ];
  const samples: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k.key, []]));
  // CPU seconds per part, summed over a kind's measured batches (one kind runs at a time).
  const cpuUsed: Record<string, Record<string, number>> = Object.fromEntries(kinds.map((k) => [k.key, {}]));
  try {
    // A small warm-up of each kind, so webpack-free bundles, caches and connections are hot.
    for (const kind of kinds) await kind.run(stack, -1);
    for (let r = 0; r < rounds; r++) {
      for (const kind of kinds) {
        const cpuBefore = await stack.cpuSeconds();
        const perSecond = await kind.run(stack, r);
        const cpuAfter = await stack.cpuSeconds();
        for (const [part, end] of Object.entries(cpuAfter)) cpuUsed[kind.key]![part] = (cpuUsed[kind.key]![part] ?? 0) + end - (cpuBefore[part] ?? 0);
        samples[kind.key]!.push(perSecond);
        progress(`round ${r + 1}: ${kind.name}: ${perSecond.toFixed(1)} workflows/s`);
      }
    }
  } finally {
    await stack.stop();
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const caseRate = mean(samples.casePlaybook!);
  const rows = kinds.map((k) => {
    const rate = mean(samples[k.key]!);
    const cpuMsPerWorkflow = cpuPerCase({}, cpuUsed[k.key]!, count * rounds);
    return { kind: k.name, workflowsPerSecond: round(rate, 1), perRound: samples[k.key]!.map((x) => round(x, 1)), ratio: round(caseRate / rate, 2), cpuMsPerWorkflow };
  });
  const table = markdownTable(
    ['workflow', 'workflows/s (mean)', 'per round', 'casePlaybook ÷ this', 'CPU ms per workflow (whole stack)'],
    rows.map((r) => [r.kind, r.workflowsPerSecond, r.perRound.join(' / '), r.ratio, r.cpuMsPerWorkflow.total]),
  );
  printReport(
    'overhead',
    { machine: stack.machine, options: { workflows: count, rounds, concurrency, steps, engine: stack.engine }, results: rows, overheadRatio: rows[1]!.ratio, overheadRatioActivityMatched: rows[2]!.ratio },
    table,
    [
      `${count} workflows per batch, ${rounds} alternated rounds after a warm-up, ${concurrency} starts in flight; one phasegate worker and one bare worker (both child processes, one busy at a time).`,
      ...rows.map((r) => `${r.kind}: ${cpuPerCaseLine(r.cpuMsPerWorkflow, 'workflow')}`),
      machineLine(stack.machine),
    ],
  );
}

async function runCases(stack: Stack, playbook: Playbook, round: number, count: number, concurrency: number): Promise<number> {
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
  await mapLimit(inputs, concurrency, async (input) => {
    const handle = await stack.client.workflow.start<typeof casePlaybook>('casePlaybook', { ...caseWorkflowOptions(input), workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    await handle.result();
  });
  return n / ((performance.now() - started) / 1000);
}

async function runBare(stack: Stack, round: number, count: number, concurrency: number, activities: number): Promise<number> {
  const n = round < 0 ? Math.min(20, count) : count;
  const started = performance.now();
  await mapLimit(Array.from({ length: n }, (_, i) => i), concurrency, async (i) => {
    await stack.client.workflow.execute('bareNoopWorkflow', {
      taskQueue: BARE_TASK_QUEUE,
      workflowId: `bare-${activities}-${round}-${i}-${Date.now()}`,
      args: [activities],
    });
  });
  return n / ((performance.now() - started) / 1000);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * Bench 2: a burst of distinct alerts posted all at once.
 *
 *   node --import tsx bench/burst.ts [--cases 1000] [--concurrency 1000] [--timeout 300] [--workers 1]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Reports how long until every case is in Detection and Analysis (as the sandbox saw it) and parked
 * at its gate (visibility), how long the server took to accept the burst, how many answers were
 * duplicates or errors, CPU per case for each process up to both points, and what a case's history
 * holds up to its gate (a sample of 50).
 */
import { benchAlert, mapLimit } from './lib/alerts';
import { type HistoryProfile, historyProfileLine, profileHistories } from './lib/history-profile';
import { countReaching, DETECTION } from './lib/load';
import { Options, machineLine, markdownTable, percentiles, printReport, progress, round, waitFor } from './lib/report';
import { cpuBetween, cpuPerCase, cpuPerCaseLine, startStack, temporalEngineOption } from './lib/stack';

async function main(): Promise<void> {
  const opts = new Options();
  const cases = opts.number('cases', 1000);
  const concurrency = opts.number('concurrency', 1000);
  const timeoutS = opts.number('timeout', 300);
  const workers = opts.number('workers', 1);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'gated', workers, engine });
  let result: Record<string, unknown>;
  try {
    const alerts = Array.from({ length: cases }, (_, i) => benchAlert(i));
    const reached = countReaching(stack.tap, DETECTION);
    const milestones: Record<string, number> = {};
    const stopWatch = stack.tap.onCall(() => {
      for (const q of [0.5, 0.9, 0.99, 1]) {
        const key = `p${q * 100}`;
        if (milestones[key] === undefined && reached.count >= Math.ceil(q * cases)) milestones[key] = Date.now() - started;
      }
    });
    progress(`posting ${cases} alerts, ${concurrency} at a time`);
    const cpuBefore = await stack.cpuSeconds();
    const started = Date.now();
    const answers = await mapLimit(alerts, concurrency, async (a) => {
      try {
        return await stack.poster.post(a.raw);
      } catch (err) {
        return { status: 0, body: { error: (err as Error).message }, sentAt: Date.now(), ms: NaN };
      }
    });
    const acceptedMs = Date.now() - started;
    const accepted = answers.filter((a) => a.status === 202);
    const duplicates = accepted.filter((a) => a.body.duplicate === true).length;
    const errors = answers.length - accepted.length;
    const done = await waitFor(() => reached.count >= accepted.length - duplicates, timeoutS * 1000, 100);
    const allInDetectionMs = Date.now() - started;
    const cpuAfter = await stack.cpuSeconds();
    const cpu = cpuBetween(cpuBefore, cpuAfter, allInDetectionMs / 1000);
    // A case's work goes on after its move: it opens the gate and parks. The whole of it is the cost.
    const expected = accepted.length - duplicates;
    const parked = async (): Promise<number> => (await stack.client.workflow.count(`PlaybookName = 'bench-gated' AND AwaitingApproval = true`).catch(() => ({ count: 0 }))).count;
    const allParked = done && (await waitFor(async () => (await parked()) >= expected, timeoutS * 1000, 500));
    const allParkedMs = Date.now() - started;
    const cpuParked = await stack.cpuSeconds();
    progress('reading a sample of the cases\' histories');
    const ids = [...new Set(accepted.map((a) => String(a.body.caseWorkflowId)))];
    const profile = await profileHistories(stack.client, ids, { until: (e) => e.timerStartedEventAttributes != null });
    stopWatch();
    reached.stop();
    const errorKinds: Record<string, number> = {};
    for (const a of answers.filter((x) => x.status !== 202)) errorKinds[`${a.status} ${a.body.error ?? ''}`] = (errorKinds[`${a.status} ${a.body.error ?? ''}`] ?? 0) + 1;
    result = {
      cases,
      concurrency,
      workers,
      acceptedAllSeconds: round(acceptedMs / 1000, 2),
      allInDetectionSeconds: done ? round(allInDetectionMs / 1000, 2) : null,
      inDetection: reached.count,
      secondsToReachShare: Object.fromEntries(Object.entries(milestones).map(([k, v]) => [k, round(v / 1000, 2)])),
      accepted: accepted.length,
      duplicates,
      errors,
      errorKinds,
      httpAnswerMs: percentiles(answers.filter((a) => Number.isFinite(a.ms)).map((a) => a.ms)),
      casesPerSecond: done ? round(reached.count / (allInDetectionMs / 1000), 1) : null,
      cpuDuringBurst: cpu,
      // Up to Detection and Analysis: what every case of the burst went through.
      cpuMsPerCase: cpuPerCase(cpuBefore, cpuAfter, reached.count),
      allParkedSeconds: allParked ? round(allParkedMs / 1000, 2) : null,
      // Up to the gate, parked: everything the case did for the alert.
      cpuMsPerCaseToGate: allParked ? cpuPerCase(cpuBefore, cpuParked, expected) : null,
      historyToGate: profile,
    };
  } finally {
    await stack.stop();
  }
  const r = result;
  const m = r.secondsToReachShare as Record<string, number>;
  const h = r.httpAnswerMs as ReturnType<typeof percentiles>;
  const table = markdownTable(
    ['alerts', 'all answered (s)', '50 % in D&A (s)', '90 % (s)', '99 % (s)', 'all in D&A (s)', 'cases/s', 'duplicates', 'errors', 'HTTP p99 ms'],
    [[cases, r.acceptedAllSeconds as number, m.p50, m.p90, m.p99, (r.allInDetectionSeconds as number | null) ?? `not within ${timeoutS} s`, (r.casesPerSecond as number | null) ?? '', r.duplicates as number, r.errors as number, h.p99]],
  );
  printReport('burst', { machine: stack.machine, options: { cases, concurrency, timeoutS, workers, engine: stack.engine }, result: r }, table, [
    `${cases} distinct alerts posted ${concurrency} at a time; times from the first request to the sandbox receiving UpdateCaseStatus (Detection and Analysis); ${workers} worker(s).`,
    `CPU during the burst (cores busy on average): ${Object.entries(r.cpuDuringBurst as Record<string, { coresBusy: number; cpuSeconds: number }>).map(([k, v]) => `${k} ${v.coresBusy} (${v.cpuSeconds} s)`).join(', ')}.`,
    cpuPerCaseLine(r.cpuMsPerCase as Record<string, number>, 'case, alert to Detection and Analysis'),
    r.cpuMsPerCaseToGate
      ? `${cpuPerCaseLine(r.cpuMsPerCaseToGate as Record<string, number>, 'case, alert to parked at its gate')} All parked after ${r.allParkedSeconds as number} s.`
      : `Not all cases were parked at their gate within ${timeoutS} s.`,
    historyProfileLine(r.historyToGate as HistoryProfile, 'History of a case up to its gate'),
    machineLine(stack.machine),
  ]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

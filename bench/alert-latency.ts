/**
 * Bench 1: alert → first UpdateCaseStatus latency at steady rates.
 *
 *   node --import tsx bench/alert-latency.ts [--rates 20,50,100] [--duration 60] [--drain 120] [--workers 1]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * For each rate, distinct signed alerts are posted open-loop for --duration seconds; the latency of an
 * alert runs from the moment its request left the bench to the moment the sandbox received the case's
 * first UpdateCaseStatus (→ Detection and Analysis). The bench playbook then parks the case at an
 * approval gate, so every rate sees the same work per alert. After each rate the bench waits (up to
 * --drain seconds) for the stragglers before the next one starts.
 */
import { benchAlert } from './lib/alerts';
import { DETECTION, createCaseByWorkflow, firstUpdateByWorkflow, postAtRate } from './lib/load';
import { Options, machineLine, markdownTable, percentiles, printReport, progress, round, waitFor } from './lib/report';
import { cpuBetween, cpuPerCase, cpuPerCaseLine, startStack, temporalEngineOption } from './lib/stack';

async function main(): Promise<void> {
  const opts = new Options();
  const rates = opts.numbers('rates', [20, 50, 100]);
  const duration = opts.number('duration', 60);
  const drain = opts.number('drain', 120);
  const workers = opts.number('workers', 1);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'gated', workers, engine });
  const results: Array<Record<string, unknown>> = [];
  let offset = 0;
  try {
    for (const rate of rates) {
      progress(`rate ${rate}/s for ${duration} s`);
      const base = offset;
      const cpuBefore = await stack.cpuSeconds();
      const { posted, skipped, elapsedMs } = await postAtRate(stack.poster, rate, duration, (i) => benchAlert(base + i));
      offset += posted.length + skipped;
      const cpu = cpuBetween(cpuBefore, await stack.cpuSeconds(), elapsedMs / 1000);
      const accepted = posted.filter((p) => p.result?.status === 202 && p.result.body.caseWorkflowId);
      const sentAt = new Map(accepted.map((p) => [p.result!.body.caseWorkflowId!, p.result!.sentAt]));
      const drained = await waitFor(() => countIn(firstUpdateByWorkflow(stack.tap, DETECTION), sentAt) >= sentAt.size, drain * 1000, 500);
      const first = firstUpdateByWorkflow(stack.tap, DETECTION);
      // From the first alert until the drain: every case of this rate up to Detection and Analysis.
      const perCase = cpuPerCase(cpuBefore, await stack.cpuSeconds(), countIn(first, sentAt));
      const created = createCaseByWorkflow(stack.tap);
      const answeredAt = new Map(accepted.map((p) => [p.result!.body.caseWorkflowId!, p.result!.sentAt + p.result!.ms]));
      const latencies: number[] = [];
      // Where an alert's time goes: the webhook's answer (StartWorkflow), the first workflow task up
      // to CreateCase arriving at SIR, then the second task up to UpdateCaseStatus.
      const stages = { webhookTo202: [] as number[], answerToCreateCase: [] as number[], createCaseToUpdate: [] as number[] };
      for (const [workflowId, sent] of sentAt) {
        const at = first.get(workflowId);
        if (at === undefined) continue;
        latencies.push(at - sent);
        const answered = answeredAt.get(workflowId)!;
        const create = created.get(workflowId);
        stages.webhookTo202.push(answered - sent);
        if (create !== undefined) {
          stages.answerToCreateCase.push(create - answered);
          stages.createCaseToUpdate.push(at - create);
        }
      }
      const http = percentiles(accepted.map((p) => p.result!.ms));
      const result = {
        rate,
        durationS: duration,
        sent: posted.length,
        achievedRate: round(posted.length / (elapsedMs / 1000), 1),
        accepted: accepted.length,
        refusedOrFailed: posted.length - accepted.length,
        skippedOverInFlightCap: skipped,
        reachedDetection: latencies.length,
        missingAfterDrain: sentAt.size - latencies.length,
        drainedWithin: drained ? `${drain} s` : `not within ${drain} s`,
        latencyMs: percentiles(latencies),
        stagesMs: {
          webhookTo202: percentiles(stages.webhookTo202),
          answerToCreateCase: percentiles(stages.answerToCreateCase),
          createCaseToUpdate: percentiles(stages.createCaseToUpdate),
        },
        httpAnswerMs: http,
        cpuWhilePosting: cpu,
        cpuMsPerCase: perCase,
      };
      results.push(result);
      progress(`rate ${rate}/s: p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, missing ${result.missingAfterDrain}`);
    }
  } finally {
    await stack.stop();
  }

  const table = markdownTable(
    ['alerts/s', 'sent', 'accepted', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'HTTP 202 p99 ms', 'not in D&A after drain', 'cores busy: temporal / worker / server', 'CPU ms per case (whole stack)'],
    results.map((r) => {
      const l = r.latencyMs as ReturnType<typeof percentiles>;
      const h = r.httpAnswerMs as ReturnType<typeof percentiles>;
      const c = r.cpuWhilePosting as Record<string, { coresBusy: number }>;
      const busy = (k: string): string => String(c[k]?.coresBusy ?? '?');
      const temporal = c['temporal server'] ? 'temporal server' : 'temporal dev server';
      const total = (r.cpuMsPerCase as Record<string, number>).total;
      return [r.rate as number, r.sent as number, r.accepted as number, l.p50, l.p95, l.p99, l.max, h.p99, r.missingAfterDrain as number, `${busy(temporal)} / ${busy('worker-1')} / ${busy('server')}`, total];
    }),
  );
  const stageTable = markdownTable(
    ['alerts/s', 'request → 202 p50 / p99 ms', '202 → CreateCase p50 / p99 ms', 'CreateCase → UpdateCaseStatus p50 / p99 ms'],
    results.map((r) => {
      const st = r.stagesMs as Record<string, ReturnType<typeof percentiles>>;
      const pair = (k: string): string => `${st[k]!.p50} / ${st[k]!.p99}`;
      return [r.rate as number, pair('webhookTo202'), pair('answerToCreateCase'), pair('createCaseToUpdate')];
    }),
  );
  printReport('alert-latency', { machine: stack.machine, options: { rates, duration, drain, workers, engine: stack.engine }, results }, `${table}\n\nWhere the time goes:\n\n${stageTable}`, [
    `Latency: request sent → sandbox receives UpdateCaseStatus (Detection and Analysis); ${duration} s per rate, open loop, ${workers} worker(s).`,
    ...results.map((r) => `${String(r.rate)}/s: ${cpuPerCaseLine(r.cpuMsPerCase as Record<string, number>, 'case, alert to Detection and Analysis')}`),
    machineLine(stack.machine),
  ]);
}

function countIn(first: Map<string, number>, wanted: Map<string, number>): number {
  let n = 0;
  for (const id of wanted.keys()) if (first.has(id)) n++;
  return n;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

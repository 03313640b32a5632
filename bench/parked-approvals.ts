/**
 * Bench 4: many cases parked at an approval gate, then all approved.
 *
 *   node --import tsx bench/parked-approvals.ts [--cases 5000] [--post-concurrency 50] [--approve-concurrency 50] [--timeout 1800]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Alerts go through the webhook; each case moves to Detection and Analysis and parks at the bench
 * playbook's gate. With every case parked, the worker's RSS and V8 heap are read (after the worker
 * has been idle a few seconds). Then every case is approved through POST /v1/cases/{id}/decisions
 * (bearer token of the bench user); latency runs from the decision request leaving the bench to the
 * sandbox receiving UpdateCaseStatus → Containment, Eradication and Recovery.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { benchAlert, httpJson, mapLimit } from './lib/alerts';
import { CONTAINMENT, countReaching, DETECTION, firstUpdateByWorkflow } from './lib/load';
import { Options, machineLine, markdownTable, percentiles, printReport, progress, round, sleep, waitFor } from './lib/report';
import { cpuPerCase, cpuPerCaseLine, startStack, temporalEngineOption, type ChildPart, type Stack } from './lib/stack';

const MiB = 2 ** 20;

async function main(): Promise<void> {
  const opts = new Options();
  const cases = opts.number('cases', 5000);
  const postConcurrency = opts.number('post-concurrency', 50);
  const approveConcurrency = opts.number('approve-concurrency', 50);
  const timeoutS = opts.number('timeout', 1800);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'gated', engine });
  let result: Record<string, unknown>;
  try {
    const worker = stack.workers[0]!;
    const idle = await memory(stack, worker);
    const parked = countReaching(stack.tap, DETECTION);
    progress(`parking ${cases} cases`);
    const cpuAtStart = await stack.cpuSeconds();
    const parkStart = Date.now();
    const posts = await mapLimit(Array.from({ length: cases }, (_, i) => benchAlert(i)), postConcurrency, (a) => stack.poster.postUntilAccepted(a.raw));
    const ids = posts.filter((p) => p.status === 202 && p.body.caseWorkflowId).map((p) => p.body.caseWorkflowId!);
    const allParked = await waitFor(() => parked.count >= ids.length, timeoutS * 1000, 500);
    const parkSeconds = (Date.now() - parkStart) / 1000;
    const cpuParked = await stack.cpuSeconds();
    // Wait until visibility agrees every case awaits approval, then let the worker settle.
    let awaiting = 0;
    await waitFor(async () => (awaiting = (await stack.client.workflow.count(`PlaybookName = 'bench-gated' AND AwaitingApproval = true`)).count) >= ids.length, 60_000, 1_000);
    await sleep(5_000);
    const atPark = await memory(stack, worker);
    progress(`${parked.count} cases parked in ${parkSeconds.toFixed(0)} s (visibility: ${awaiting} awaiting approval); worker RSS ${atPark.rssMiB} MiB, heap ${atPark.heapUsedMiB} MiB`);

    progress(`approving ${ids.length} cases`);
    const agentUrl = new URL(stack.apiUrl);
    const approveStart = Date.now();
    const decisions = await mapLimit(ids, approveConcurrency, async (id) => {
      try {
        return { id, res: await httpJson(stack.poster.agent, new URL(`/v1/cases/${encodeURIComponent(id)}/decisions`, agentUrl), 'POST', JSON.stringify({ approvalId: 1, decision: 'approve', comment: 'bench' }), {
          'content-type': 'application/json',
          authorization: `Bearer ${stack.userToken}`,
          'x-request-id': randomUUID(),
        }) };
      } catch (err) {
        return { id, res: { status: 0, body: { error: (err as Error).message }, sentAt: Date.now(), ms: NaN } };
      }
    });
    const approveSeconds = (Date.now() - approveStart) / 1000;
    await waitFor(() => firstUpdateByWorkflow(stack.tap, CONTAINMENT).size >= ids.length, 60_000, 500);
    const contained = firstUpdateByWorkflow(stack.tap, CONTAINMENT);
    const cpuApproved = await stack.cpuSeconds();
    const latencies: number[] = [];
    for (const d of decisions) {
      const at = contained.get(d.id);
      if (d.res.status === 200 && at !== undefined) latencies.push(at - d.res.sentAt);
    }
    const afterApprove = await memory(stack, worker);
    const statusCounts: Record<string, number> = {};
    for (const d of decisions) statusCounts[String(d.res.status)] = (statusCounts[String(d.res.status)] ?? 0) + 1;
    result = {
      cases,
      parked: parked.count,
      allParked,
      parkSeconds: round(parkSeconds, 1),
      awaitingApprovalInVisibility: awaiting,
      workerIdle: idle,
      workerWithAllParked: atPark,
      workerAfterApprovals: afterApprove,
      approveSeconds: round(approveSeconds, 1),
      decisionAnswers: statusCounts,
      approveToUpdateMs: percentiles(latencies),
      decisionHttpMs: percentiles(decisions.filter((d) => d.res.status === 200).map((d) => d.res.ms)),
      // Parking: alert → case parked at the gate; approving: decision → Containment (incl. the idle settle).
      cpuMsPerCaseParking: cpuPerCase(cpuAtStart, cpuParked, parked.count),
      cpuMsPerCaseApproving: cpuPerCase(cpuParked, cpuApproved, contained.size),
    };
    parked.stop();
  } finally {
    await stack.stop();
  }
  const r = result;
  const park = r.workerWithAllParked as Awaited<ReturnType<typeof memory>>;
  const idle = r.workerIdle as Awaited<ReturnType<typeof memory>>;
  const lat = r.approveToUpdateMs as ReturnType<typeof percentiles>;
  const table = markdownTable(
    ['parked cases', 'time to park (s)', 'worker RSS idle → parked (MiB)', 'worker heap used parked (MiB)', 'approvals (s)', 'approve → UpdateCaseStatus p50 ms', 'p99 ms', 'max ms'],
    [[r.parked as number, r.parkSeconds as number, `${idle.rssMiB} → ${park.rssMiB}`, park.heapUsedMiB, r.approveSeconds as number, lat.p50, lat.p99, lat.max]],
  );
  printReport('parked-approvals', { machine: stack.machine, options: { cases, postConcurrency, approveConcurrency, engine: stack.engine }, result: r }, table, [
    `${cases} cases through the webhook, parked at the bench playbook's gate; then approved through the decisions API, ${approveConcurrency} at a time; one worker.`,
    `Parking: ${cpuPerCaseLine(r.cpuMsPerCaseParking as Record<string, number>, 'case, alert to parked')}`,
    `Approving: ${cpuPerCaseLine(r.cpuMsPerCaseApproving as Record<string, number>, 'case, decision to Containment')}`,
    machineLine(stack.machine),
  ]);
}

async function memory(stack: Stack, worker: ChildPart): Promise<{ rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number; procRssMiB: number }> {
  const m = await stack.memoryOf(worker);
  // /proc also counts the Rust core's memory, which process.memoryUsage().rss includes too; read both.
  const status = await readFile(`/proc/${worker.pid}/status`, 'utf8').catch(() => '');
  const vmRss = /VmRSS:\s+(\d+) kB/.exec(status);
  return {
    rssMiB: round(m.rss / MiB, 1),
    heapUsedMiB: round(m.heapUsed / MiB, 1),
    heapTotalMiB: round(m.heapTotal / MiB, 1),
    externalMiB: round(m.external / MiB, 1),
    procRssMiB: vmRss ? round(Number(vmRss[1]) / 1024, 1) : NaN,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

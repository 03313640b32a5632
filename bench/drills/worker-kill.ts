/**
 * Drill: the worker is SIGKILLed in the middle of live cases and a new one started.
 *
 *   node --import tsx bench/drills/worker-kill.ts [--cases 200] [--kill-at 0.35] [--down 2] [--latency 300] [--timeout 240]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Every case runs the auto-close bench playbook (three UpdateCaseStatus calls and a CloseCase). The
 * sandbox answers UpdateCaseStatus only --latency ms after applying it, so the kill catches changes
 * that were applied but never acknowledged: the retry after the restart must find them done (GetCase)
 * instead of applying them again. PASS: every case completes and the sandbox's call log shows each
 * status applied exactly once per case. Also prints CPU per case and process, from the first alert
 * until every case is closed; the killed worker's CPU up to the kill counts with its replacement's.
 */
import { benchAlert, mapLimit } from '../lib/alerts';
import { appliedOnceChecks, check, countValues, CpuMeter, statusesOf, verdict, waitForClosed, replayCheck } from '../lib/drill';
import { Options, progress, sleep, waitFor } from '../lib/report';
import { startStack, temporalEngineOption } from '../lib/stack';

const PLAYBOOK = 'bench-auto-close';

async function main(): Promise<void> {
  const opts = new Options();
  const cases = opts.number('cases', 200);
  const killAt = opts.number('kill-at', 0.35);
  const downS = opts.number('down', 2);
  const latency = opts.number('latency', 300);
  const timeoutS = opts.number('timeout', 240);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'auto-close', engine });
  try {
    if (latency > 0) stack.sandbox.faults.inject('UpdateCaseStatus', { kind: 'latency', ms: latency });
    const updates = (): number => stack.tap.entries.filter((e) => e.operation === 'UpdateCaseStatus').length;
    const totalUpdates = cases * 3;

    progress(`posting ${cases} alerts`);
    const cpu = await CpuMeter.start(stack);
    const postsDone = mapLimit(
      Array.from({ length: cases }, (_, i) => benchAlert(i)),
      50,
      (alert) => stack.poster.postUntilAccepted(alert.raw),
    );
    const reached = await waitFor(() => updates() >= totalUpdates * killAt, timeoutS * 1000, 20);
    const [worker] = stack.workers;
    const before = { updateCalls: updates(), atKill: new Date().toISOString() };
    progress(`SIGKILL worker pid ${worker!.pid} after ${before.updateCalls} UpdateCaseStatus calls${reached ? '' : ' (threshold not reached in time)'}`);
    await cpu.beforeKill((part) => part === worker!.name);
    await stack.killWorker(worker!, 'SIGKILL');
    await sleep(downS * 1000);
    const replacement = await stack.startWorker();
    progress(`replacement worker pid ${replacement.pid} polling`);

    const posts = await postsDone;
    const accepted = posts.filter((p) => p.status === 202 && p.body.caseWorkflowId);
    const ids = new Set(accepted.map((p) => p.body.caseWorkflowId!));
    const { closed, ms } = await waitForClosed(stack.client, PLAYBOOK, ids.size, timeoutS * 1000);
    const { cpuMsPerCase, cpuDuringCases, line: cpuLine } = await cpu.stop(ids.size, `case, first alert to all closed; ${worker!.name} up to its SIGKILL, ${replacement.name} (its replacement) from its start`);
    const statuses = await statusesOf(stack.client, PLAYBOOK);
    const completed = [...ids].filter((id) => statuses.get(id) === 'COMPLETED');
    const conflictsAfterKill = stack.tap.entries.filter((e) => e.operation === 'UpdateCaseStatus' && e.errorType === 'ConflictException').length;

    verdict(
      'worker-kill',
      stack.machine,
      [
        check('alerts accepted', accepted.length === cases && ids.size === cases, `${accepted.length}/${cases} accepted, ${ids.size} distinct workflows`),
        check('cases completed', completed.length === cases, `${completed.length}/${cases} completed (${JSON.stringify(countValues(statuses))}), ${closed} closed after ${(ms / 1000).toFixed(1)} s`),
        ...appliedOnceChecks(stack.tap, ids),
        await replayCheck(stack),
      ],
      {
        cases,
        killedAfterUpdateCalls: before.updateCalls,
        killedAt: before.atKill,
        downSeconds: downS,
        sandboxLatencyMs: latency,
        conflictAnswersSeenByRetries: conflictsAfterKill,
        secondsToFinishAfterRestart: ms / 1000,
        calls: stack.tap.countBy(),
        cpuMsPerCase,
        cpuDuringCases,
      },
      [cpuLine],
    );
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

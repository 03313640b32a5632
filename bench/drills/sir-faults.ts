/**
 * Drill: the SIR API throttles 30 % of calls and fails 5 % with 500 during a burst of 1,000 alerts.
 *
 *   node --import tsx bench/drills/sir-faults.ts [--cases 1000] [--throttle 0.3] [--internal 0.05] [--retry-after 0] [--seed 1] [--timeout 600]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Faults hit every SIR operation at random (seeded), on every attempt, including retries. PASS: every
 * case completes, no workflow fails, nothing is applied twice. Also prints CPU per case and process,
 * from the first alert until every case is closed (retries of the faulted calls included).
 */
import { benchAlert, mapLimit } from '../lib/alerts';
import { appliedOnceChecks, check, countValues, CpuMeter, sample, statusesOf, verdict, waitForClosed, replayCheck } from '../lib/drill';
import { Options, progress, seededRandom } from '../lib/report';
import { startStack, temporalEngineOption } from '../lib/stack';

const PLAYBOOK = 'bench-auto-close';

async function main(): Promise<void> {
  const opts = new Options();
  const cases = opts.number('cases', 1000);
  const throttle = opts.number('throttle', 0.3);
  const internal = opts.number('internal', 0.05);
  const retryAfter = opts.number('retry-after', 0);
  const seed = opts.number('seed', 1);
  const timeoutS = opts.number('timeout', 600);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'auto-close', engine });
  try {
    stack.tap.setFaults({ throttle, internal, ...(retryAfter > 0 && { retryAfterSeconds: retryAfter }), random: seededRandom(seed) });
    progress(`burst of ${cases} alerts; SIR throttles ${throttle * 100} % and fails ${internal * 100} % of calls`);
    const cpu = await CpuMeter.start(stack);
    const started = Date.now();
    const posts = await mapLimit(
      Array.from({ length: cases }, (_, i) => benchAlert(i)),
      cases,
      (alert) => stack.poster.postUntilAccepted(alert.raw, timeoutS * 1000),
    );
    const accepted = posts.filter((p) => p.status === 202 && p.body.caseWorkflowId);
    const ids = new Set(accepted.map((p) => p.body.caseWorkflowId!));
    const { closed } = await waitForClosed(stack.client, PLAYBOOK, ids.size, timeoutS * 1000);
    const allDoneS = (Date.now() - started) / 1000;
    const { cpuMsPerCase, cpuDuringCases, line: cpuLine } = await cpu.stop(ids.size, 'case, first alert to all closed, SIR faults and retries included');
    const statuses = await statusesOf(stack.client, PLAYBOOK);
    const completed = [...ids].filter((id) => statuses.get(id) === 'COMPLETED');
    const failed = [...statuses].filter(([, s]) => s === 'FAILED').map(([id]) => id);
    const calls = stack.tap.entries.length;
    const throttled = stack.tap.entries.filter((e) => e.errorType === 'ThrottlingException').length;
    const errors500 = stack.tap.entries.filter((e) => e.errorType === 'InternalServerException').length;

    verdict(
      'sir-faults',
      stack.machine,
      [
        check('alerts accepted', accepted.length === cases && ids.size === cases, `${accepted.length}/${cases} accepted, ${ids.size} distinct workflows`),
        check('cases completed', completed.length === cases, `${completed.length}/${cases} completed (${JSON.stringify(countValues(statuses))}), ${closed} closed, all done ${allDoneS.toFixed(1)} s after the burst began`),
        check('no workflow failed', failed.length === 0, `${failed.length} failed: ${sample(failed)}`),
        ...appliedOnceChecks(stack.tap, ids),
        check('faults were injected', throttled > 0 && errors500 > 0, `${throttled} ThrottlingException and ${errors500} InternalServerException answers out of ${calls} SIR calls (${((throttled / calls) * 100).toFixed(1)} % / ${((errors500 / calls) * 100).toFixed(1)} %)`),
        await replayCheck(stack),
      ],
      { cases, throttle, internal, retryAfterSeconds: retryAfter, seed, secondsUntilAllCompleted: allDoneS, sirCalls: calls, calls: stack.tap.countBy(), cpuMsPerCase, cpuDuringCases },
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

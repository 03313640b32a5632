/**
 * Drill: the SIR API answers ConflictException for a chosen 1 % of cases.
 *
 *   node --import tsx bench/drills/conflict.ts [--cases 1000] [--every 100] [--timeout 600]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Every --every-th alert carries a marker in its type (and so in its case title); the sandbox refuses
 * every UpdateCaseStatus on those cases with ConflictException. PASS: exactly those workflows fail,
 * each with failure type ConflictException, every other one completes, and the visibility query
 * `PlaybookName = 'bench-auto-close' AND ExecutionStatus = 'Failed'` finds exactly the chosen ones.
 * Also prints CPU per case and process, from the first alert until every case is closed (failed or
 * completed).
 */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { benchAlert, mapLimit } from '../lib/alerts';
import { check, countValues, CpuMeter, sample, statusesOf, verdict, waitForClosed, replayCheck } from '../lib/drill';
import { Options, progress, waitFor } from '../lib/report';
import { startStack, temporalEngineOption } from '../lib/stack';

const PLAYBOOK = 'bench-auto-close';
const MARKER = 'Bench:Conflict/Chosen';
const FAILED_QUERY = `PlaybookName = '${PLAYBOOK}' AND ExecutionStatus = 'Failed'`;

async function main(): Promise<void> {
  const opts = new Options();
  const cases = opts.number('cases', 1000);
  const every = opts.number('every', 100);
  const timeoutS = opts.number('timeout', 600);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'auto-close', engine });
  try {
    stack.tap.setFaults({ conflictTitleMarker: MARKER });
    const chosenIndex = (i: number): boolean => i % every === Math.floor(every / 3);
    progress(`burst of ${cases} alerts; every ${every}th case meets ConflictException`);
    const cpu = await CpuMeter.start(stack);
    const posts = await mapLimit(
      Array.from({ length: cases }, (_, i) => ({ i, alert: benchAlert(i, chosenIndex(i) ? MARKER : undefined) })),
      cases,
      async ({ i, alert }) => ({ i, result: await stack.poster.postUntilAccepted(alert.raw, timeoutS * 1000) }),
    );
    const accepted = posts.filter((p) => p.result.status === 202 && p.result.body.caseWorkflowId);
    const chosen = new Set(accepted.filter((p) => chosenIndex(p.i)).map((p) => p.result.body.caseWorkflowId!));
    const ids = new Set(accepted.map((p) => p.result.body.caseWorkflowId!));
    await waitForClosed(stack.client, PLAYBOOK, ids.size, timeoutS * 1000);
    const { cpuMsPerCase, cpuDuringCases, line: cpuLine } = await cpu.stop(ids.size, 'case, first alert to all closed (completed or failed)');
    const statuses = await statusesOf(stack.client, PLAYBOOK);

    const failed = [...statuses].filter(([, s]) => s === 'FAILED').map(([id]) => id);
    const failureTypes = new Map<string, string>();
    await mapLimit(failed, 20, async (id) => {
      try {
        await stack.client.workflow.getHandle(id).result();
        failureTypes.set(id, '(completed)');
      } catch (err) {
        const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
        failureTypes.set(id, cause instanceof ApplicationFailure ? (cause.type ?? '(no type)') : String(cause?.name ?? err));
      }
    });
    // Visibility is eventually consistent: give the query a moment to see every closed workflow.
    let found = new Set<string>();
    await waitFor(async () => {
      found = new Set<string>();
      for await (const wf of stack.client.workflow.list({ query: FAILED_QUERY })) found.add(wf.workflowId);
      return sameSet(found, chosen);
    }, 15_000, 1_000);

    const wrongType = failed.filter((id) => failureTypes.get(id) !== 'ConflictException').map((id) => `${id}: ${failureTypes.get(id)}`);
    const unexpected = failed.filter((id) => !chosen.has(id));
    const notFailed = [...chosen].filter((id) => statuses.get(id) !== 'FAILED');
    const others = [...ids].filter((id) => !chosen.has(id));
    const othersCompleted = others.filter((id) => statuses.get(id) === 'COMPLETED').length;

    verdict(
      'conflict',
      stack.machine,
      [
        check('alerts accepted', accepted.length === cases && ids.size === cases, `${accepted.length}/${cases} accepted; ${chosen.size} chosen for ConflictException`),
        check('exactly the chosen cases failed', unexpected.length === 0 && notFailed.length === 0, `${failed.length} failed; unexpected: ${sample(unexpected)}; chosen but not failed: ${sample(notFailed)}`),
        check('failure type ConflictException', wrongType.length === 0 && failed.length > 0, `${failed.length - wrongType.length}/${failed.length} failures have type ConflictException; others: ${sample(wrongType)}`),
        check('the other cases completed', othersCompleted === others.length, `${othersCompleted}/${others.length} completed (${JSON.stringify(countValues(statuses))})`),
        check('visibility finds exactly them', sameSet(found, chosen), `\`${FAILED_QUERY}\` returned ${found.size} workflows, ${[...found].filter((id) => chosen.has(id)).length} of the ${chosen.size} chosen`),
        await replayCheck(stack),
      ],
      { cases, every, chosen: chosen.size, failed: failed.length, calls: stack.tap.countBy(), cpuMsPerCase, cpuDuringCases },
      [cpuLine],
    );
  } finally {
    await stack.stop();
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

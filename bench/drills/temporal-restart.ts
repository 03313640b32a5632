/**
 * Drill: Temporal is killed during live cases and restarted on its store (the dev server on its SQLite
 * file; with --engine postgres the self-hosted server on its PostgreSQL databases).
 *
 *   node --import tsx bench/drills/temporal-restart.ts [--cases 200] [--rate 20] [--kill-after 4] [--down 3] [--signal SIGKILL] [--timeout 300]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Alerts arrive at --rate per second; --kill-after seconds in, the Temporal server gets --signal and
 * stays down --down seconds, then starts again on the same address and store. The sender retries alerts
 * the server answers 503 (as EventBridge or any webhook sender would). PASS: every accepted alert's
 * case completes (none lost), nothing is applied twice, and no alert ends refused. Also prints CPU per
 * case and process, from the first alert until every case is closed; the killed Temporal server's
 * CPU up to the kill counts with that of the one started after it.
 */
import { benchAlert } from '../lib/alerts';
import { appliedOnceChecks, check, countValues, CpuMeter, sample, statusesOf, verdict, waitForClosed, replayCheck } from '../lib/drill';
import { Options, progress, sleep } from '../lib/report';
import { startStack, temporalEngineOption } from '../lib/stack';

const PLAYBOOK = 'bench-auto-close';

async function main(): Promise<void> {
  const opts = new Options();
  const cases = opts.number('cases', 200);
  const rate = opts.number('rate', 20);
  const killAfter = opts.number('kill-after', 4);
  const downS = opts.number('down', 3);
  const signal = opts.string('signal', 'SIGKILL') as NodeJS.Signals;
  const timeoutS = opts.number('timeout', 300);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'auto-close', db: 'file', engine });
  try {
    progress(`posting ${cases} alerts at ${rate}/s; the Temporal server (${stack.engine}) gets ${signal} after ${killAfter} s`);
    const cpu = await CpuMeter.start(stack);
    const start = Date.now();
    const posts = Array.from({ length: cases }, async (_, i) => {
      await sleep(start + (i * 1000) / rate - Date.now());
      return stack.poster.postUntilAccepted(benchAlert(i).raw, timeoutS * 1000);
    });
    await sleep(killAfter * 1000);
    const updatesAtKill = stack.tap.entries.filter((e) => e.operation === 'UpdateCaseStatus').length;
    // The Temporal server only: PostgreSQL (--engine postgres) keeps running.
    await cpu.beforeKill((part) => part.startsWith('temporal '));
    await stack.killTemporal(signal);
    const killedAt = Date.now();
    progress(`Temporal killed (${updatesAtKill} UpdateCaseStatus calls so far); down for ${downS} s`);
    await sleep(downS * 1000);
    await stack.restartTemporal();
    const downMs = Date.now() - killedAt;
    progress(`Temporal back after ${(downMs / 1000).toFixed(1)} s on the same store`);

    const results = await Promise.all(posts);
    const accepted = results.filter((p) => p.status === 202 && p.body.caseWorkflowId);
    const retried = results.filter((p) => p.attempts > 1).length;
    const ids = new Set(accepted.map((p) => p.body.caseWorkflowId!));
    const { closed, ms } = await waitForClosed(stack.client, PLAYBOOK, ids.size, timeoutS * 1000);
    const { cpuMsPerCase, cpuDuringCases, line: cpuLine } = await cpu.stop(ids.size, 'case, first alert to all closed; Temporal up to its kill plus the restarted server from its start');
    const statuses = await statusesOf(stack.client, PLAYBOOK);
    const completed = [...ids].filter((id) => statuses.get(id) === 'COMPLETED');
    const lost = [...ids].filter((id) => !statuses.has(id));

    verdict(
      'temporal-restart',
      stack.machine,
      [
        check('alerts accepted', accepted.length === cases && ids.size === cases, `${accepted.length}/${cases} accepted (${retried} needed a resend while Temporal was down), ${ids.size} distinct workflows`),
        check('no case lost', lost.length === 0, `${lost.length} accepted alerts have no workflow after the restart: ${sample(lost)}`),
        check('cases completed', completed.length === cases, `${completed.length}/${cases} completed (${JSON.stringify(countValues(statuses))}), ${closed} closed ${(ms / 1000).toFixed(1)} s after the posts ended`),
        ...appliedOnceChecks(stack.tap, ids),
        await replayCheck(stack),
      ],
      {
        cases,
        rate,
        signal,
        killAfterSeconds: killAfter,
        downSeconds: downMs / 1000,
        updateCallsAtKill: updatesAtKill,
        alertsResent: retried,
        maxAttemptsForOneAlert: Math.max(...results.map((r) => r.attempts)),
        answersSeen: countValues(new Map(results.map((r, i) => [String(i), String(r.status)]))),
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

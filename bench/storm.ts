/**
 * Bench: an alert storm (issue 13). GuardDuty findings in a number of groups (account, type, resource)
 * under a grouped playbook (bench/playbooks/storm), first posted to /v1/alerts as fast as the route
 * takes them, then sent through the SQS intake (ElasticMQ, started for the run; the intake runs in the
 * bench process against the same Temporal).
 *
 *   node --import tsx bench/storm.ts [--alerts 10000] [--groups 50] [--concurrency 200] [--timeout 600] [--no-sqs] [--limited]
 *
 * Prints, for each door: alerts accepted, alerts lost (accepted but not counted in any case; must be
 * 0), SIR CreateCase calls (must be the number of groups), the time until every alert is accounted to
 * its case (the sum of the group cases' member and repeat counts), and the largest history among them.
 *
 * `--limited` uses the same playbook capped at 5 new cases an hour (bench/playbooks/storm-limited):
 * 5 groups get their cases and every other alert goes to the hour's storm case. It also prints how
 * many alerts went there, how often the door asked the case-rate limiter, and (HTTP) the answer times:
 * what a storm past the limit costs the intake.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { alertsIn } from '../src/domain/alert/group';
import { stateQuery } from '../src/domain/contract/messages';
import { TASK_QUEUE } from '../src/domain/contract/temporal-names';
import { IntakeMetrics } from '../src/intake/intake-metrics';
import { SqsIntake } from '../src/intake/sqs-intake';
import { QUEUE_ADOPTION, acceptAlert } from '../src/intake/alert-intake';
import { AlertIntakeMemory } from '../src/intake/alert-intake-memory';
import { loadPlaybooksOrThrow } from '../src/config/playbook-directory';
import { startElasticMq } from '../test/helpers/elasticmq';
import { mapLimit } from './lib/alerts';
import { Options, type Percentiles, machineLine, markdownTable, percentiles, printReport, progress, round, sleep } from './lib/report';
import { type Stack, startStack } from './lib/stack';

/** One first-seen time for every finding: the groups' windows come from it, so a run never straddles two. */
const RUN_TIME = new Date().toISOString();

interface DoorResult {
  door: 'http' | 'sqs';
  alerts: number;
  accepted: number;
  /** Alerts answered `storm: true`. */
  storm: number;
  /** reserveCase updates the door sent, by answer (phasegate_case_limiter_requests_total). */
  limiterAsks: Record<string, number>;
  /** HTTP answer times, ms. */
  answerMs?: Percentiles;
  lost: number;
  cases: number;
  createCaseCalls: number;
  sendSeconds: number;
  accountedSeconds: number | null;
  largestHistory: number;
}

async function main(): Promise<void> {
  const opts = new Options();
  const alerts = opts.number('alerts', 10_000);
  const groups = opts.number('groups', 50);
  const concurrency = opts.number('concurrency', 200);
  const timeoutS = opts.number('timeout', 600);
  const sqs = !opts.flag('no-sqs');
  const limited = opts.flag('limited');
  opts.done();
  const playbookSet = limited ? 'storm-limited' : 'storm';

  const stack = await startStack({ playbooks: playbookSet });
  const results: DoorResult[] = [];
  try {
    const runTag = randomBytes(4).toString('hex');
    const findings = (door: string) => Array.from({ length: alerts }, (_, i) => finding(`${runTag}-${door}`, i, i % groups));

    progress(`HTTP: posting ${alerts} findings in ${groups} groups, ${concurrency} at a time`);
    const httpFindings = findings('http');
    const started = Date.now();
    const answers = await mapLimit(httpFindings, concurrency, async (raw) => {
      try {
        return await stack.poster.post(raw);
      } catch (err) {
        return { status: 0, body: { error: (err as Error).message }, sentAt: Date.now(), ms: NaN };
      }
    });
    const sendSeconds = (Date.now() - started) / 1000;
    const accepted = answers.filter((a) => a.status === 202);
    const http = await account(stack, 'http', alerts, accepted.length, new Set(accepted.map((a) => a.body.caseWorkflowId!)), started, sendSeconds, timeoutS);
    const serverMetrics = await (await fetch(new URL('/metrics', stack.apiUrl))).text();
    results.push({
      ...http,
      storm: accepted.filter((a) => (a.body as { storm?: boolean }).storm === true).length,
      limiterAsks: limiterAsks(serverMetrics),
      answerMs: percentiles(accepted.map((a) => a.ms)),
    });

    if (sqs) {
      const mq = await startElasticMq({ onProgress: progress });
      try {
        const { queueUrl } = await mq.createQueueWithDlq(`storm-${runTag}`, { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
        const sqsFindings = findings('sqs');
        progress(`SQS: sending ${alerts} findings to the queue`);
        await mapLimit(chunks(sqsFindings, 10), 20, (batch, b) =>
          mq.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((body, i) => ({ Id: `m${b}-${i}`, MessageBody: body })) })),
        );
        const playbooks = (await loadPlaybooksOrThrow(join(__dirname, 'playbooks', playbookSet))).map((p) => p.playbook);
        const metrics = new IntakeMetrics();
        const intakeDeps = { client: stack.client, playbooks, taskQueue: TASK_QUEUE, memory: new AlertIntakeMemory() };
        const seen = new Set<string>();
        let acceptedSqs = 0;
        let stormSqs = 0;
        const intake = new SqsIntake({
          sqs: mq.sqs,
          queueUrl,
          take: async (json) => {
            const result = await acceptAlert(intakeDeps, json, QUEUE_ADOPTION);
            if (result.ok) {
              acceptedSqs += 1;
              if (result.accepted.storm) stormSqs += 1;
              seen.add(result.accepted.caseWorkflowId);
            }
            return { kind: 'alert', result };
          },
          logger: pino({ level: 'warn' }),
          metrics,
          waitTimeSeconds: 1,
        });
        progress('SQS: intake draining the queue');
        const sqsStarted = Date.now();
        const running = intake.run();
        for (;;) {
          const depth = await mq.depth(queueUrl);
          if (depth.visible + depth.inFlight + depth.delayed === 0) break;
          if (Date.now() - sqsStarted > timeoutS * 1000) break;
          await sleep(250);
        }
        const drainSeconds = (Date.now() - sqsStarted) / 1000;
        intake.stop();
        await running;
        const sqsResult = await account(stack, 'sqs', alerts, acceptedSqs, seen, sqsStarted, drainSeconds, timeoutS);
        results.push({ ...sqsResult, storm: stormSqs, limiterAsks: limiterAsks(await metrics.registry.metrics()) });
      } finally {
        await mq.stop();
      }
    }
  } finally {
    await stack.stop();
  }

  const asks = (r: DoorResult) => Object.entries(r.limiterAsks).map(([answer, n]) => `${answer} ${n}`).join(', ') || 'none';
  printReport(
    'storm',
    { alerts, groups, concurrency, limited, machine: stack.machine, results },
    markdownTable(
      ['door', 'alerts', 'accepted', 'lost', 'cases', 'CreateCase calls', 'storm alerts', 'limiter asks', 'answer p50/p99 (ms)', 'send (s)', 'all accounted (s)', 'largest history (events)'],
      results.map((r) => [
        r.door,
        r.alerts,
        r.accepted,
        r.lost,
        r.cases,
        r.createCaseCalls,
        r.storm,
        asks(r),
        r.answerMs ? `${round(r.answerMs.p50)}/${round(r.answerMs.p99)}` : '-',
        round(r.sendSeconds, 1),
        r.accountedSeconds === null ? 'timed out' : round(r.accountedSeconds, 1),
        r.largestHistory,
      ]),
    ),
    [
      machineLine(stack.machine),
      limited
        ? `Grouped playbook bench-storm-limited (maxNewCasesPerHour 5): ${groups} groups, so at most 5 group cases and one storm case (6 CreateCase calls) per door and hour.`
        : `Grouped playbook bench-storm: ${groups} groups expected, so ${groups} cases and ${groups} CreateCase calls per door.`,
    ],
  );
}

/** reserveCase updates asked, by answer, from a door's /metrics text. */
function limiterAsks(metricsText: string): Record<string, number> {
  const asks: Record<string, number> = {};
  for (const match of metricsText.matchAll(/^phasegate_case_limiter_requests_total\{[^}]*answer="([a-z_]+)"[^}]*\} (\d+)/gm)) {
    asks[match[1]!] = (asks[match[1]!] ?? 0) + Number(match[2]);
  }
  return asks;
}

/** Waits until the cases' own counts add up to the alerts accepted; then counts CreateCase and history sizes. */
async function account(
  stack: Stack,
  door: DoorResult['door'],
  alerts: number,
  accepted: number,
  cases: Set<string>,
  started: number,
  sendSeconds: number,
  timeoutS: number,
): Promise<Omit<DoorResult, 'storm' | 'limiterAsks' | 'answerMs'>> {
  progress(`${door}: ${accepted} accepted into ${cases.size} cases; waiting until every alert is counted in its case`);
  const handles = [...cases].map((id) => stack.client.workflow.getHandle(id));
  let counted = 0;
  let accountedSeconds: number | null = null;
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    const states = await Promise.all(handles.map((h) => h.query(stateQuery).catch(() => undefined)));
    counted = states.reduce((sum, s) => sum + (s ? alertsIn(s) : 0), 0);
    if (counted >= accepted) {
      accountedSeconds = (Date.now() - started) / 1000;
      break;
    }
    await sleep(250);
  }
  const tokens = new Set([...cases].map((id) => `phasegate:${id.slice('case-'.length)}`));
  const createCaseCalls = stack.tap.entries.filter((e) => e.operation === 'CreateCase' && e.clientToken !== undefined && tokens.has(e.clientToken) && e.statusCode < 300).length;
  let largestHistory = 0;
  for (const handle of handles) largestHistory = Math.max(largestHistory, (await handle.describe()).historyLength);
  for (const handle of handles) await handle.terminate('bench done').catch(() => undefined);
  return { door, alerts, accepted, lost: accepted - counted, cases: cases.size, createCaseCalls, sendSeconds, accountedSeconds, largestHistory };
}

/** A GuardDuty finding as EventBridge delivers it: its own id; the group is its resource. */
function finding(tag: string, n: number, group: number): string {
  const now = RUN_TIME;
  const id = `${tag.replace(/[^0-9a-f]/g, '')}${String(n).padStart(8, '0')}`.slice(0, 64);
  return JSON.stringify({
    version: '0',
    id: `event-${tag}-${n}`,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: '111122223333',
    time: now,
    region: 'us-east-1',
    resources: [],
    detail: {
      schemaVersion: '2.0',
      accountId: '111122223333',
      region: 'us-east-1',
      partition: 'aws',
      id: `${id}-${tag}`,
      arn: `arn:aws:guardduty:us-east-1:111122223333:detector/bench/finding/${id}`,
      type: 'UnauthorizedAccess:EC2/SSHBruteForce',
      resource: { resourceType: 'Instance', instanceDetails: { instanceId: `i-${tag.replace(/[^0-9a-f]/g, '')}${String(group).padStart(4, '0')}` } },
      severity: 8,
      createdAt: now,
      updatedAt: now,
      title: `bench storm finding ${n}`,
      description: 'Synthetic finding posted by the storm bench.',
      service: { eventFirstSeen: now, eventLastSeen: now, count: 1 },
    },
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

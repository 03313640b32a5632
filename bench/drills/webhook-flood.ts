/**
 * Drill: a webhook flood with invalid signatures mixed into valid alerts.
 *
 *   node --import tsx bench/drills/webhook-flood.ts [--valid 500] [--invalid 500] [--resend 50] [--concurrency 100] [--timeout 180]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Invalid requests come in seven kinds (wrong secret, tampered body, stale and future timestamps,
 * missing, malformed and truncated headers), shuffled among the valid ones; --resend valid alerts are
 * posted a second time. PASS: every invalid request gets 401, every valid alert gets 202 with
 * duplicate=false once (and duplicate=true for its resend, on the same workflow), and Temporal and the
 * SIR sandbox each hold exactly one case per valid alert. Also prints CPU per valid alert and process,
 * from the first request until every valid alert's SIR case is created (the cases then go on to the
 * playbook's gate); the invalid requests and the resends are part of that cost.
 */
import { createHmac } from 'node:crypto';
import { benchAlert, mapLimit } from '../lib/alerts';
import { check, CpuMeter, sample, verdict, replayCheck } from '../lib/drill';
import { Options, progress, seededRandom, waitFor } from '../lib/report';
import { startStack, temporalEngineOption } from '../lib/stack';

const PLAYBOOK = 'bench-gated';

type Kind = 'valid' | 'resend' | 'wrong-secret' | 'tampered-body' | 'stale' | 'future' | 'missing' | 'malformed' | 'truncated';
const INVALID_KINDS: Kind[] = ['wrong-secret', 'tampered-body', 'stale', 'future', 'missing', 'malformed', 'truncated'];

function sign(secret: string, t: number, raw: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(raw).digest('hex')}`;
}

async function main(): Promise<void> {
  const opts = new Options();
  const validCount = opts.number('valid', 500);
  const invalidCount = opts.number('invalid', 500);
  const resendCount = Math.min(opts.number('resend', 50), validCount);
  const concurrency = opts.number('concurrency', 100);
  const timeoutS = opts.number('timeout', 180);
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'gated', engine });
  try {
    const random = seededRandom(7);
    const now = (): number => Math.floor(Date.now() / 1000);
    type Request = { kind: Kind; index: number; raw: string; header: () => string | null };
    const requests: Request[] = [];
    for (let i = 0; i < validCount; i++) {
      const { raw } = benchAlert(i);
      requests.push({ kind: 'valid', index: i, raw, header: () => sign(stack.secret, now(), raw) });
    }
    for (let i = 0; i < invalidCount; i++) {
      const kind = INVALID_KINDS[i % INVALID_KINDS.length]!;
      const { raw } = benchAlert(validCount + i);
      const header: Record<Kind, () => string | null> = {
        valid: () => null,
        resend: () => null,
        'wrong-secret': () => sign('whsec_not_the_secret', now(), raw),
        'tampered-body': () => sign(stack.secret, now(), raw.replace('"severity":5', '"severity":9')),
        stale: () => sign(stack.secret, now() - 6 * 60, raw),
        future: () => sign(stack.secret, now() + 6 * 60, raw),
        missing: () => null,
        malformed: () => `v1=${sign(stack.secret, now(), raw).split('v1=')[1]}`,
        truncated: () => sign(stack.secret, now(), raw).slice(0, -2),
      };
      requests.push({ kind, index: validCount + i, raw, header: header[kind] });
    }
    for (let i = requests.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [requests[i], requests[j]] = [requests[j]!, requests[i]!];
    }

    progress(`flooding: ${validCount} valid and ${invalidCount} invalid requests, ${concurrency} at a time`);
    const cpu = await CpuMeter.start(stack);
    const started = Date.now();
    const answers = await mapLimit(requests, concurrency, async (r) => ({ r, res: await stack.poster.post(r.raw, r.header()) }));
    const valid = answers.filter((a) => a.r.kind === 'valid');
    const resends = await mapLimit(valid.slice(0, resendCount), concurrency, async (a) => ({
      first: a,
      res: await stack.poster.post(a.r.raw, sign(stack.secret, now(), a.r.raw)),
    }));
    const floodS = (Date.now() - started) / 1000;

    const invalid = answers.filter((a) => a.r.kind !== 'valid');
    const invalidNot401 = invalid.filter((a) => a.res.status !== 401).map((a) => `${a.r.kind}#${a.r.index} → ${a.res.status}`);
    const validBad = valid.filter((a) => a.res.status !== 202 || a.res.body.duplicate !== false).map((a) => `#${a.r.index} → ${a.res.status} ${JSON.stringify(a.res.body).slice(0, 80)}`);
    const workflowIds = new Set(valid.map((a) => a.res.body.caseWorkflowId).filter((id): id is string => typeof id === 'string'));
    const resendBad = resends
      .filter((x) => x.res.status !== 202 || x.res.body.duplicate !== true || x.res.body.caseWorkflowId !== x.first.res.body.caseWorkflowId)
      .map((x) => `#${x.first.r.index} → ${x.res.status} duplicate=${String(x.res.body.duplicate)}`);

    // Every valid alert must become exactly one case: in Temporal and in the SIR sandbox.
    const createdCases = (): number => new Set(stack.tap.entries.filter((e) => e.operation === 'CreateCase' && e.statusCode < 300).map((e) => e.seq)).size;
    const distinctCases = (): number => stack.tap.workflowIdsByCase().size;
    await waitFor(() => distinctCases() >= validCount, timeoutS * 1000, 500);
    let temporalCount = 0;
    await waitFor(async () => (temporalCount = (await stack.client.workflow.count(`PlaybookName = '${PLAYBOOK}'`)).count) >= validCount, 30_000, 1_000);
    const { cpuMsPerCase, cpuDuringCases, line: cpuLine } = await cpu.stop(
      distinctCases(),
      `valid alert, first request to its SIR case created, the ${invalidCount} invalid requests and ${resendCount} resends included`,
    );
    const byKind: Record<string, number> = {};
    for (const a of invalid) byKind[`${a.r.kind} → ${a.res.status}`] = (byKind[`${a.r.kind} → ${a.res.status}`] ?? 0) + 1;

    verdict(
      'webhook-flood',
      stack.machine,
      [
        check('every invalid request refused with 401', invalidNot401.length === 0, `${invalid.length - invalidNot401.length}/${invalid.length} got 401 (${JSON.stringify(byKind)}); others: ${sample(invalidNot401)}`),
        check('every valid alert accepted once', validBad.length === 0 && workflowIds.size === validCount, `${valid.length - validBad.length}/${valid.length} got 202 duplicate=false, ${workflowIds.size} distinct workflows; others: ${sample(validBad)}`),
        check('resent alerts joined their case', resendBad.length === 0, `${resends.length - resendBad.length}/${resends.length} resends got 202 duplicate=true on the same workflow; others: ${sample(resendBad)}`),
        check('one workflow per valid alert', temporalCount === validCount, `visibility counts ${temporalCount} ${PLAYBOOK} workflows for ${validCount} valid alerts`),
        check('one SIR case per valid alert', distinctCases() === validCount && createdCases() === validCount, `${createdCases()} successful CreateCase calls, ${distinctCases()} cases started for ${validCount} valid alerts`),
        await replayCheck(stack),
      ],
      {
        valid: validCount,
        invalid: invalidCount,
        resent: resendCount,
        concurrency,
        floodSeconds: floodS,
        requestsPerSecond: Math.round((requests.length + resendCount) / floodS),
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

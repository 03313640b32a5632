/**
 * Bench 5: the alerts route under autocannon, against a bare Fastify route in the same run.
 *
 *   node --import tsx bench/ingest.ts [--duration 20] [--connections 1,10,50] [--no-worker]
 *     [--engine dev|postgres | --temporal-address host:port [--temporal-namespace ns]]
 *
 * Every request is a distinct, freshly signed alert (so each starts a case workflow; none is a
 * duplicate). Both servers are child processes; autocannon runs in the bench process. For each
 * connection count both routes are measured; "at equal p99" compares the alerts route's best
 * throughput with the bare route's best throughput among runs whose p99 is no higher.
 * By default a worker runs (the real chain: started cases are processed meanwhile, competing for the
 * 2 cores); --no-worker measures the webhook and Temporal's StartWorkflow alone.
 */
import autocannon from 'autocannon';
import { signWebhook } from '../src/server/webhook-signature';
import { benchAlert } from './lib/alerts';
import { Options, machineLine, markdownTable, printReport, progress, round } from './lib/report';
import { cpuPerCase, cpuPerCaseLine, startStack, temporalEngineOption } from './lib/stack';

interface Run {
  route: 'alerts' | 'bare';
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  total: number;
  /** Alerts route: CPU per accepted alert during the run (the worker works on the started cases meanwhile). */
  cpuMsPerAlert?: Record<string, number>;
}

async function main(): Promise<void> {
  const opts = new Options();
  const duration = opts.number('duration', 20);
  const connectionLevels = opts.numbers('connections', [1, 10, 50]);
  const noWorker = opts.flag('no-worker');
  const engine = temporalEngineOption(opts);
  opts.done();

  const stack = await startStack({ playbooks: 'gated', workers: noWorker ? 0 : 1, engine });
  const runs: Run[] = [];
  let n = 0;
  try {
    const bareUrl = await stack.startBareServer();
    for (const connections of connectionLevels) {
      for (const route of ['bare', 'alerts'] as const) {
        const url = `${route === 'bare' ? bareUrl : stack.apiUrl}/v1/alerts`;
        progress(`${route} route, ${connections} connections, ${duration} s`);
        const cpuBefore = await stack.cpuSeconds();
        const result = await autocannon({
          url,
          method: 'POST',
          connections,
          duration,
          headers: { 'content-type': 'application/json' },
          requests: [
            {
              method: 'POST',
              setupRequest: (request) => {
                const { raw } = benchAlert(n++);
                return { ...request, body: raw, headers: { ...request.headers, 'content-type': 'application/json', 'x-phasegate-signature': signWebhook(stack.secret, raw) } };
              },
            },
          ],
        });
        runs.push({
          route,
          connections,
          requestsPerSecond: round(result.requests.average, 1),
          p50: result.latency.p50,
          p99: result.latency.p99,
          max: result.latency.max,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          total: result.requests.total,
          ...(route === 'alerts' && { cpuMsPerAlert: cpuPerCase(cpuBefore, await stack.cpuSeconds(), result['2xx']) }),
        });
        progress(`  ${round(result.requests.average, 1)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`);
      }
    }
  } finally {
    await stack.stop();
  }

  const alerts = runs.filter((r) => r.route === 'alerts');
  const bare = runs.filter((r) => r.route === 'bare');
  const bestAlerts = alerts.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const bareWithin = bare.filter((r) => r.p99 <= bestAlerts.p99);
  const bareRef = (bareWithin.length > 0 ? bareWithin : bare).reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const ratioAtEqualP99 = round(bestAlerts.requestsPerSecond / bareRef.requestsPerSecond, 3);
  const table = markdownTable(
    ['connections', 'bare req/s', 'bare p99 ms', 'alerts req/s', 'alerts p50 ms', 'alerts p99 ms', 'alerts non-2xx', 'ratio'],
    connectionLevels.map((c) => {
      const b = bare.find((r) => r.connections === c)!;
      const a = alerts.find((r) => r.connections === c)!;
      return [c, b.requestsPerSecond, b.p99, a.requestsPerSecond, a.p50, a.p99, a.non2xx + a.errors, round(a.requestsPerSecond / b.requestsPerSecond, 3)];
    }),
  );
  printReport(
    'ingest',
    { machine: stack.machine, options: { duration, connections: connectionLevels, worker: !noWorker, engine: stack.engine }, runs, ratioAtEqualP99, reference: { alerts: bestAlerts, bare: bareRef } },
    table,
    [
      `At equal p99: the alerts route's best (${bestAlerts.requestsPerSecond} req/s at p99 ${bestAlerts.p99} ms, ${bestAlerts.connections} connections) ÷ the bare route's best with p99 ≤ that (${bareRef.requestsPerSecond} req/s at p99 ${bareRef.p99} ms, ${bareRef.connections} connections) = ${ratioAtEqualP99}.`,
      `autocannon ${duration} s per run, distinct signed alerts; ${noWorker ? 'no worker running' : 'one worker processing the started cases meanwhile'}.`,
      ...alerts.map((a) => `${a.connections} connections: ${cpuPerCaseLine(a.cpuMsPerAlert ?? {}, 'accepted alert, during the run')}`),
      machineLine(stack.machine),
    ],
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

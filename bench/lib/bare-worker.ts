/**
 * A worker for bench 3's bare workflows, as a child process like the phasegate worker: same Temporal
 * variables, the same SIR endpoint and credentials (AWS_* as the phasegate worker gets them), its own
 * task queue, a pre-built bundle (BENCH_BARE_BUNDLE).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { SirClient, resolveSirClientConfig } from '../../src/sir';
import { createBareSirActivities } from './bare-sir-activities';
import { BARE_TASK_QUEUE } from './names';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const sir = new SirClient(await resolveSirClientConfig(process.env));
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: BARE_TASK_QUEUE,
    workflowBundle: { codePath: process.env.BENCH_BARE_BUNDLE! },
    activities: { benchNoop: async (i: number) => i, ...createBareSirActivities(sir) },
    shutdownGraceTime: '2s',
  });
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

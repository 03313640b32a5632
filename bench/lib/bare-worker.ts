/**
 * A worker for the bare workflow of bench 3, as a child process like the phasegate worker: same
 * Temporal variables, its own task queue, a pre-built bundle (BENCH_BARE_BUNDLE).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { BARE_TASK_QUEUE } from './names';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: BARE_TASK_QUEUE,
    workflowBundle: { codePath: process.env.BENCH_BARE_BUNDLE! },
    activities: { benchNoop: async (i: number) => i },
    shutdownGraceTime: '2s',
  });
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

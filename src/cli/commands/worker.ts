import { Command } from 'commander';
import { resolveSirClientConfig, SirClient } from '../../sir';
import { loadTemporalTarget, connectWorkerConnection } from '../../temporal/connection-config';
import { installRuntime } from '../../temporal/runtime';
import { createPhasegateWorker } from '../../temporal/worker';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a phasegate worker: case workflows and SIR activities on task queue "phasegate"')
    .action(async () => {
      installRuntime();
      const sir = new SirClient(await resolveSirClientConfig(process.env));
      const target = loadTemporalTarget(process.env);
      const connection = await connectWorkerConnection(target);
      try {
        const worker = await createPhasegateWorker({ connection, namespace: target.namespace, sir });
        console.log(`phasegate worker polling task queue "${worker.options.taskQueue}" on ${target.address} (namespace ${target.namespace})`);
        // The Temporal Runtime turns SIGINT/SIGTERM into a graceful shutdown; run() returns after it.
        await worker.run();
      } finally {
        await connection.close();
      }
    });
}

import { Command } from 'commander';
import { loadChannelsFromEnv } from '../../notify/channels-file';
import { resolveSirClientConfig, SirClient } from '../../sir';
import { loadTemporalTarget, connectWorkerConnection } from '../../temporal/connection-config';
import { installRuntime, runtimeLogLevel } from '../../temporal/runtime';
import { setUpTracing } from '../../temporal/tracing';
import { workerOptionsFromTuning, workerTuningFromEnv } from '../../temporal/worker-tuning';
import { createLogger, temporalLoggerFor } from '../logger';
import { createPhasegateWorker } from '../../temporal/worker';
import { identityFromEnv } from '../../temporal/worker-identity';
import { runUntilStopped } from '../lifetime';
import { runWorker } from '../running-worker';
import { PlaybookCatalog } from '../../domain/playbook/catalog';
import { defaultPlaybookDir, loadPlaybooksOrThrow } from '../../config/playbook-directory';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a phasegate worker: case workflows and SIR activities on task queue "phasegate"')
    .action(() =>
      runUntilStopped(async (lifetime) => {
        const logger = createLogger(process.env);
        // Before connecting: a broken channels file or an unset variable stops the worker in one line.
        const channels = await loadChannelsFromEnv(process.env);
        const identity = await identityFromEnv(process.env);
        // A case runs only the playbooks of this worker's own directory (the same files the server routes with).
        const playbooks = new PlaybookCatalog((await loadPlaybooksOrThrow(defaultPlaybookDir(process.env))).map((p) => p.playbook));
        installRuntime({ logger: temporalLoggerFor(logger, runtimeLogLevel(process.env)), metricsAddress: process.env.PHASEGATE_WORKER_METRICS_ADDRESS });
        const sir = new SirClient(await resolveSirClientConfig(process.env));
        const tuning = workerTuningFromEnv(process.env);
        const target = loadTemporalTarget(process.env);
        const connection = await connectWorkerConnection(target).catch((err: unknown) => {
          throw new Error(`cannot reach Temporal at ${target.address} (TEMPORAL_ADDRESS): ${(err as Error).message}`, { cause: err });
        });
        lifetime.started('the Temporal connection', { stop: () => connection.close() });
        const tracing = setUpTracing(process.env);
        if (tracing) lifetime.started('tracing', { stop: () => tracing.shutdown() });
        const worker = await createPhasegateWorker({
          connection,
          namespace: target.namespace,
          sir,
          playbooks,
          identity,
          tuning: workerOptionsFromTuning(tuning),
          tracing,
          channels,
          logger,
        });
        // Drains on SIGINT/SIGTERM: no new tasks, running SIR calls get PHASEGATE_SHUTDOWN_GRACE.
        lifetime.started('the worker', runWorker(worker));
        logger.info(
          { taskQueue: worker.options.taskQueue, temporal: target.address, namespace: target.namespace, ...tuning, notifyChannels: channels?.describe() ?? [], playbooks: playbooks.names },
          'phasegate worker polling',
        );
      }),
    );
}

import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { type IdentityOptions, createActivities } from '../../activities';
import type { ChannelDirectory } from '../notify/channel';
import type { PlaybookCatalog } from '../domain/playbook/catalog';
import { TASK_QUEUE } from '../domain/contract/temporal-names';
import type { SirClient } from '../sir';
import type { DataConverter } from '@temporalio/common';
import { workerDataConverterFromEnv } from './data-converter';
import type { Tracing } from './tracing';
import { WORKFLOWS_PATH, workflowSource } from './workflow-bundle';

export interface PhasegateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  sir: SirClient;
  /**
   * The worker's own playbooks (its playbook directory): a case runs only a playbook held here, under
   * the same name and content hash, whatever its start says (SPEC §3, "Starting a case").
   */
  playbooks: PlaybookCatalog;
  taskQueue?: string;
  /** Worker tuning passed through (rate limits, concurrency, shutdown grace). */
  tuning?: Partial<Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities'>>;
  /** Tracing's plugin, when configured. */
  tracing?: Tracing;
  /** How the worker proves who decided (decision keys, trust in Temporal access, users file). */
  identity?: IdentityOptions;
  /** Payload encryption; defaults to PHASEGATE_KEYS from the environment (a payload that is not encrypted is then refused). */
  dataConverter?: DataConverter;
  /** Notification channels (PHASEGATE_CHANNELS); without them notifyChannel fails with UnknownChannel. */
  channels?: ChannelDirectory;
  /** Where activities log what the Temporal logger does not carry (notification deliveries). */
  logger?: Logger;
}

export async function createPhasegateWorker(options: PhasegateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities: createActivities(options.sir, {
      identity: options.identity,
      playbooks: options.playbooks,
      notifications: { channels: options.channels, logger: options.logger },
      sirGlobalRateLimit: options.tuning?.maxTaskQueueActivitiesPerSecond !== undefined,
    }),
    dataConverter: options.dataConverter ?? workerDataConverterFromEnv(),
    // Tracing adds a workflow interceptor module, which only a bundle made at start-up can include.
    ...(options.tracing ? { workflowsPath: WORKFLOWS_PATH, plugins: [options.tracing.plugin] } : workflowSource()),
    ...options.tuning,
  });
}

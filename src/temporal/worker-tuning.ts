/**
 * Worker settings operators tune from the environment. The SIR rate limit is task-queue wide and
 * enforced by the Temporal server, so all workers together stay under the account's API quota
 * however many run; every worker must be given the same value (the last poller's value wins).
 */
import type { WorkerOptions } from '@temporalio/worker';

export interface WorkerTuning {
  maxTaskQueueActivitiesPerSecond?: number;
  shutdownGraceTime: string;
  maxConcurrentActivityTaskExecutions?: number;
}

export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  return {
    maxTaskQueueActivitiesPerSecond: positiveNumber(env, 'PHASEGATE_SIR_MAX_RPS'),
    // Long enough for an in-flight SIR call (30 s start-to-close) to finish before the worker exits.
    shutdownGraceTime: env.PHASEGATE_SHUTDOWN_GRACE ?? '35s',
    maxConcurrentActivityTaskExecutions: positiveNumber(env, 'PHASEGATE_MAX_CONCURRENT_ACTIVITIES'),
  };
}

export function workerOptionsFromTuning(tuning: WorkerTuning): Partial<WorkerOptions> {
  return Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return value;
}

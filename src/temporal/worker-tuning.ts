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
  maxCachedWorkflows: number;
}

/**
 * Cases spend most of their life parked at an approval gate. The SDK's default cache is sized from
 * the heap limit (about 2,300 workflows on a 24 GiB machine) at roughly 0.6 MiB each, so a worker
 * holding thousands of parked cases would pass 1 GiB. Beyond this many, the least recently used case
 * is dropped and replayed from its short history when its approval arrives.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 1000;

export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  return {
    maxTaskQueueActivitiesPerSecond: positiveNumber(env, 'PHASEGATE_SIR_MAX_RPS'),
    // Long enough for an in-flight SIR call (30 s start-to-close) to finish before the worker exits.
    shutdownGraceTime: env.PHASEGATE_SHUTDOWN_GRACE ?? '35s',
    maxConcurrentActivityTaskExecutions: positiveNumber(env, 'PHASEGATE_MAX_CONCURRENT_ACTIVITIES'),
    maxCachedWorkflows: cacheSize(env, 'PHASEGATE_MAX_CACHED_WORKFLOWS') ?? DEFAULT_MAX_CACHED_WORKFLOWS,
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

function cacheSize(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  // The SDK takes 0 (no cache: every workflow task replays the case's history) or at least 2.
  if (!Number.isInteger(value) || value < 0 || value === 1) throw new Error(`${name} must be 0 (no cache) or a whole number of at least 2, not "${raw}"`);
  return value;
}

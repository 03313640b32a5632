import { type Logger, type LogLevel, Runtime } from '@temporalio/worker';

export interface RuntimeOptions {
  logger: Logger;
  /** host:port for the Prometheus endpoint of the worker's metrics (Temporal's and phasegate's own). */
  metricsAddress?: string;
}

/**
 * Installs the process-wide Temporal Runtime once, before any worker or native connection exists.
 * Worker metrics (task latencies, slots, polls) and phasegate's activity and workflow metrics all go
 * out through the Runtime's Prometheus endpoint at http://<metricsAddress>/metrics.
 */
export function installRuntime(options: RuntimeOptions): void {
  Runtime.install({
    logger: options.logger,
    // The command's lifetime (src/cli/lifetime.ts) owns SIGINT and SIGTERM and shuts workers down in
    // its own order; the Runtime's handlers would swallow the signals once no worker is running yet.
    shutdownSignals: [],
    telemetryOptions: options.metricsAddress
      ? { metrics: { prometheus: { bindAddress: options.metricsAddress, useSecondsForDurations: true }, metricPrefix: 'temporal_' } }
      : undefined,
  });
}

export function runtimeLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const level = (env.PHASEGATE_TEMPORAL_LOG_LEVEL ?? 'WARN').toUpperCase();
  if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level)) {
    throw new Error(`PHASEGATE_TEMPORAL_LOG_LEVEL must be TRACE, DEBUG, INFO, WARN or ERROR, not "${env.PHASEGATE_TEMPORAL_LOG_LEVEL}"`);
  }
  return level as LogLevel;
}

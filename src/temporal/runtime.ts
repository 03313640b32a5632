import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';

/**
 * Installs the process-wide Temporal Runtime once, before any worker or native connection exists.
 * Default WARN keeps start-up quiet (the workflow bundler logs every module at INFO).
 */
export function installRuntime(level: LogLevel = (process.env.PHASEGATE_TEMPORAL_LOG_LEVEL as LogLevel | undefined) ?? 'WARN'): void {
  Runtime.install({ logger: new DefaultLogger(level) });
}

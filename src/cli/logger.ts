/**
 * Structured JSON logs (pino) for every phasegate process. Secrets and the sensitive fields of alerts
 * and cases are censored by path, so neither a token nor a finding's details end up in a log store.
 */
import pino, { type Logger } from 'pino';
import { DefaultLogger, type LogLevel } from '@temporalio/worker';

const SENSITIVE_KEYS = [
  // credentials and secrets
  'secretAccessKey',
  'sessionToken',
  'accessKeyId',
  'token',
  'demoToken',
  'webhookSecret',
  'apiKey',
  'password',
  // case and alert contents (personal data, indicators): ids and statuses are enough to operate
  'title',
  'description',
  'comment',
  'body',
  'watchers',
  'ipAddress',
  'threatActorIpAddresses',
  'threatActorIps',
  'impactedAccounts',
  'newCase',
];

/** Paths pino censors: the sensitive keys at the top level and one level down, and request headers. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-phasegate-signature"]',
  'req.headers["x-phasegate-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-phasegate-signature"]',
  'headers["x-phasegate-api-key"]',
  ...SENSITIVE_KEYS,
  ...SENSITIVE_KEYS.map((key) => `*.${key}`),
];

export function createLogger(env: NodeJS.ProcessEnv = process.env, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: env.PHASEGATE_LOG_LEVEL ?? 'info',
      base: { service: 'phasegate', pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal Runtime's logger, writing through pino: worker, workflow and activity lines then carry
 * the workflow id, run id and activity type as JSON fields, and go through the same redaction.
 */
export function temporalLoggerFor(logger: Logger, level: LogLevel = 'WARN'): DefaultLogger {
  return new DefaultLogger(level, (entry) => {
    logger[PINO_LEVEL[entry.level]]({ ...entry.meta, component: 'temporal' }, entry.message);
  });
}

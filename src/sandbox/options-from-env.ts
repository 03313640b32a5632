/**
 * Sandbox settings from the environment, for `phasegate sandbox` and docker-compose. Only variables
 * that are set appear in the result, so it can be spread under command-line flags.
 */
import { parseWebhookSecrets } from '../server/webhook-signature';
import type { SandboxOptions, SandboxLogLevel } from './options';

const LOG_LEVELS: readonly SandboxLogLevel[] = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  const options: SandboxOptions = {};
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  const port = get('PHASEGATE_SANDBOX_PORT');
  if (port !== undefined) {
    const parsed = Number(port);
    if (!/^\d+$/.test(port) || parsed > 65535) throw new Error(`PHASEGATE_SANDBOX_PORT must be a port number (0-65535), not "${port}"`);
    options.port = parsed;
  }

  const host = get('PHASEGATE_SANDBOX_HOST');
  if (host !== undefined) options.host = host;

  const region = get('PHASEGATE_SANDBOX_REGION') ?? get('AWS_REGION');
  if (region !== undefined) options.region = region;

  const accessKeyId = get('PHASEGATE_SANDBOX_ACCESS_KEY_ID');
  const secretAccessKey = get('PHASEGATE_SANDBOX_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    // Names the variables only: the one that is set may be a secret.
    throw new Error('set both PHASEGATE_SANDBOX_ACCESS_KEY_ID and PHASEGATE_SANDBOX_SECRET_ACCESS_KEY, or neither');
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) options.credentials = [{ accessKeyId, secretAccessKey }];

  const stateFile = get('PHASEGATE_SANDBOX_STATE_FILE');
  if (stateFile !== undefined) options.persistFile = stateFile;

  const illegal = get('PHASEGATE_SANDBOX_ILLEGAL_TRANSITION');
  if (illegal !== undefined) {
    if (illegal !== 'ConflictException' && illegal !== 'ValidationException') {
      throw new Error(`PHASEGATE_SANDBOX_ILLEGAL_TRANSITION must be ConflictException or ValidationException, not "${illegal}"`);
    }
    options.illegalTransitionError = illegal;
  }

  const eventsUrl = get('PHASEGATE_SANDBOX_EVENTS_URL');
  if (eventsUrl !== undefined) {
    // The same secret the API checks alert signatures with; during a rotation, the first one.
    const [secret] = parseWebhookSecrets(env.PHASEGATE_WEBHOOK_SECRET);
    if (secret === undefined) throw new Error('PHASEGATE_SANDBOX_EVENTS_URL is set, but PHASEGATE_WEBHOOK_SECRET (needed to sign the events) is not');
    options.events = { url: eventsUrl, secret };
  }

  const logLevel = get('PHASEGATE_SANDBOX_LOG_LEVEL');
  if (logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new Error(`PHASEGATE_SANDBOX_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`);
    }
    options.logLevel = logLevel as SandboxLogLevel;
  }
  return options;
}

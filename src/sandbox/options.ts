/**
 * How a sandbox is configured, and the defaults that make `startSandbox()` work with no arguments
 * against a client using SANDBOX_DEFAULT_CREDENTIALS in us-east-1.
 */
import type { IllegalTransitionError } from './sir-service';

export interface SandboxCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry exactly this x-amz-security-token (temporary credentials). */
  sessionToken?: string;
}

/**
 * A well-known development key pair, like LocalStack's `test`/`test`: it only ever opens the local
 * sandbox, and its shape (AKIA…, 40-character secret) matches real keys so clients accept it.
 */
export const SANDBOX_DEFAULT_CREDENTIALS: SandboxCredentials = Object.freeze({
  accessKeyId: 'AKIAPHASEGATESANDBOX',
  secretAccessKey: 'phasegate/Sandbox+Secret/NotForRealAWS+K',
});

/** The account in the sandbox's case ARNs unless configured (AWS's documentation example). */
export const SANDBOX_DEFAULT_ACCOUNT_ID = '123456789012';

export type SandboxLogLevel = 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface SandboxOptions {
  /** Listen address; default 127.0.0.1 (use 0.0.0.0 in containers). */
  host?: string;
  /** Listen port; default 0, a free port chosen by the OS. */
  port?: number;
  /** The region requests must be signed for; default us-east-1. */
  region?: string;
  /** The account in case ARNs; default 123456789012. */
  accountId?: string;
  /** The keys the sandbox accepts; default [SANDBOX_DEFAULT_CREDENTIALS]. */
  credentials?: SandboxCredentials[];
  /** What an UpdateCaseStatus outside the transition table gets; default ConflictException. */
  illegalTransitionError?: IllegalTransitionError;
  /** A JSON file holding cases and comments: loaded at start, rewritten after each change. */
  persistFile?: string;
  /** How far x-amz-date may be from the sandbox's clock; default 300 s, as at AWS. */
  maxClockSkewSeconds?: number;
  /** Request logging (pino); default silent. Authorization and session tokens are never logged. */
  logLevel?: SandboxLogLevel;
  /**
   * Where SIR's EventBridge events (Case Updated, Case Closed, Case Comment Added) are POSTed, signed
   * with the webhook secret as phasegate's POST /v1/alerts expects; no events when absent.
   */
  events?: SandboxEventsOptions;
}

export interface SandboxEventsOptions {
  /** An http(s) URL, e.g. http://127.0.0.1:8080/v1/alerts. */
  url: string;
  /** The webhook secret (the first of PHASEGATE_WEBHOOK_SECRET). */
  secret: string;
}

export interface ResolvedSandboxOptions {
  host: string;
  port: number;
  region: string;
  accountId: string;
  credentials: readonly SandboxCredentials[];
  illegalTransitionError: IllegalTransitionError;
  persistFile?: string;
  maxClockSkewSeconds: number;
  logLevel: SandboxLogLevel;
  events?: SandboxEventsOptions;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Applies the defaults and refuses settings that would make every request fail in a puzzling way. */
export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  const resolved: ResolvedSandboxOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? SANDBOX_DEFAULT_ACCOUNT_ID,
    credentials: options.credentials ?? [SANDBOX_DEFAULT_CREDENTIALS],
    illegalTransitionError: options.illegalTransitionError ?? 'ConflictException',
    persistFile: options.persistFile,
    maxClockSkewSeconds: options.maxClockSkewSeconds ?? 300,
    logLevel: options.logLevel ?? 'silent',
    ...(options.events && { events: options.events }),
  };
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) {
    throw new RangeError(`sandbox port must be an integer from 0 to 65535, not ${resolved.port}`);
  }
  if (!REGION.test(resolved.region)) throw new RangeError(`"${resolved.region}" is not an AWS region name`);
  if (!ACCOUNT_ID.test(resolved.accountId)) throw new RangeError(`sandbox accountId must be 12 digits, not "${resolved.accountId}"`);
  if (!(resolved.maxClockSkewSeconds > 0)) throw new RangeError('maxClockSkewSeconds must be positive');
  if (resolved.illegalTransitionError !== 'ConflictException' && resolved.illegalTransitionError !== 'ValidationException') {
    throw new RangeError(`illegalTransitionError must be ConflictException or ValidationException, not "${String(resolved.illegalTransitionError)}"`);
  }
  if (resolved.events) checkEventsOptions(resolved.events);
  if (resolved.credentials.length === 0) throw new RangeError('the sandbox needs at least one accepted credential');
  const seen = new Set<string>();
  for (const { accessKeyId, secretAccessKey } of resolved.credentials) {
    // The secret is never part of a message, not even when it is the thing that is wrong.
    if (!accessKeyId || !secretAccessKey) throw new RangeError('every sandbox credential needs an accessKeyId and a secretAccessKey');
    if (seen.has(accessKeyId)) throw new RangeError(`access key ${accessKeyId} is configured twice`);
    seen.add(accessKeyId);
  }
  return resolved;
}

function checkEventsOptions({ url, secret }: SandboxEventsOptions): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError('the sandbox events URL must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RangeError(`the sandbox events URL must be http or https, not ${parsed.protocol}`);
  // The secret is never part of a message, not even when it is the thing that is wrong.
  if (typeof secret !== 'string' || secret === '') throw new RangeError('the sandbox events need the webhook secret to sign them');
}

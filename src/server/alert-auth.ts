/**
 * Who sent an alert to POST /v1/alerts, and what it may send. Three schemes:
 * - `X-Phasegate-Signature` (HMAC of the body with PHASEGATE_WEBHOOK_SECRET, or with
 *   PHASEGATE_WEBHOOK_ADOPT_SECRET, whose alerts may also adopt an existing SIR case): any alert source;
 * - `X-Phasegate-Api-Key: <key>` (an EventBridge Connection with API key authorization);
 * - `Authorization: Basic base64(<key name>:<key>)` (an EventBridge Connection with Basic authorization);
 * the last two checked against PHASEGATE_ALERT_KEYS, each key limited to its sources and adopting
 * existing cases only with `mayAdoptCases`.
 *
 * With keys configured, a request carrying more than one credential is refused: which one counted
 * would otherwise depend on our order of checks, and a valid key must not let a broken signature slip
 * by, or the reverse. Without keys, only the signature is looked at, exactly as before keys existed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AdoptionPermission } from '../intake/alert-intake';
import type { AlertRefusalReason } from '../intake/intake-counters';
import type { AlertKey, AlertKeyring, AlertKeySource } from './alert-keys';
import { alertKeySourceOf } from './alert-keys';
import type { ErrorDetail } from './http-errors';
import { SIGNATURE_HEADER, adoptSecretName, matchWebhookSecret } from './webhook-signature';

export const API_KEY_HEADER = 'x-phasegate-api-key';

export type AlertAuthScheme = 'signature' | 'api-key' | 'basic';

export interface AlertSender {
  scheme: AlertAuthScheme;
  /** The keys-file name; undefined for the shared-secret signature. */
  key?: string;
  /** Undefined: every source (the signature scheme predates keys and is not scoped). */
  sources?: ReadonlySet<AlertKeySource>;
  /** Whether its alerts may name an existing SIR case to adopt, and under whose name. */
  adoption: AdoptionPermission;
}

export interface AlertAuthRefusal {
  ok: false;
  status: 401 | 403;
  reason: AlertRefusalReason;
  error: string;
  details: ErrorDetail[];
}

export type AlertAuthResult = { ok: true; sender: AlertSender } | AlertAuthRefusal;

export interface AlertAuthConfig {
  webhookSecrets: readonly string[];
  /** PHASEGATE_WEBHOOK_ADOPT_SECRET: secrets whose signed alerts may also adopt an existing SIR case. */
  adoptSecrets?: readonly string[];
  keys?: AlertKeyring;
}

const DISPLAY = { [SIGNATURE_HEADER]: 'X-Phasegate-Signature', [API_KEY_HEADER]: 'X-Phasegate-Api-Key', authorization: 'Authorization' } as const;

export function authenticateAlert(headers: IncomingHttpHeaders, rawBody: Buffer, config: AlertAuthConfig): AlertAuthResult {
  const presented = ([SIGNATURE_HEADER, API_KEY_HEADER, 'authorization'] as const).filter((h) => headers[h] !== undefined);
  if (!config.keys || config.keys.size === 0) return signatureOnly(headers, rawBody, config, presented);

  if (presented.length > 1) {
    return refuse(
      401,
      'ambiguous_credentials',
      'ambiguous credentials',
      presented.map((h) => ({ path: DISPLAY[h], message: `send exactly one credential; this request has ${presented.map((p) => DISPLAY[p]).join(' and ')}` })),
    );
  }
  if (presented.length === 0) {
    return refuse(401, 'missing_credentials', 'missing credentials', [
      ...(signingSecrets(config).length > 0 ? [{ path: DISPLAY[SIGNATURE_HEADER], message: 'sign the body: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<body>")>' }] : []),
      { path: DISPLAY[API_KEY_HEADER], message: 'or send an API key from PHASEGATE_ALERT_KEYS (EventBridge Connection, API key authorization)' },
      { path: DISPLAY.authorization, message: 'or send Basic <key name>:<key> (EventBridge Connection, Basic authorization)' },
    ]);
  }

  const header = presented[0]!;
  if (header === SIGNATURE_HEADER) {
    if (signingSecrets(config).length === 0) {
      return refuse(401, 'scheme_not_configured', 'invalid signature', [
        { path: DISPLAY[SIGNATURE_HEADER], message: 'this server has no webhook secret (PHASEGATE_WEBHOOK_SECRET); send an API key or Basic credentials' },
      ]);
    }
    const check = matchWebhookSecret(single(headers[SIGNATURE_HEADER]), rawBody, signingSecrets(config));
    if (!check.ok) return refuse(401, check.code, 'invalid signature', [{ path: DISPLAY[SIGNATURE_HEADER], message: check.reason }]);
    return { ok: true, sender: signatureSender(check.secretIndex, config) };
  }

  if (header === API_KEY_HEADER) {
    const value = single(headers[API_KEY_HEADER]) ?? '';
    const key = value === '' ? undefined : config.keys.authenticateApiKey(value);
    if (!key) return refuse(401, 'unknown_key', 'invalid API key', [{ path: DISPLAY[API_KEY_HEADER], message: 'matches no key in PHASEGATE_ALERT_KEYS' }]);
    return { ok: true, sender: keySender('api-key', key) };
  }

  const basic = parseBasic(single(headers.authorization) ?? '');
  if (!basic) {
    return refuse(401, 'malformed_authorization', 'invalid credentials', [
      { path: DISPLAY.authorization, message: 'expected Basic base64(<key name>:<key>); alerts take no bearer tokens' },
    ]);
  }
  const key = config.keys.authenticateBasic(basic.name, basic.key);
  if (!key) return refuse(401, 'unknown_key', 'invalid credentials', [{ path: DISPLAY.authorization, message: 'the name and key match no key in PHASEGATE_ALERT_KEYS' }]);
  return { ok: true, sender: keySender('basic', key) };
}

/** Every secret a signature may be made with: the plain ones first, then the adopt-capable ones. */
function signingSecrets(config: AlertAuthConfig): readonly string[] {
  return config.adoptSecrets?.length ? [...config.webhookSecrets, ...config.adoptSecrets] : config.webhookSecrets;
}

function signatureSender(secretIndex: number, config: AlertAuthConfig): AlertSender {
  const adoptIndex = secretIndex - config.webhookSecrets.length;
  if (adoptIndex >= 0) return { scheme: 'signature', adoption: { allowed: true, by: `signature:${adoptSecretName(adoptIndex)}` } };
  return {
    scheme: 'signature',
    adoption: {
      allowed: false,
      sender: 'a signature with PHASEGATE_WEBHOOK_SECRET',
      howToAllow: 'sign alerts that adopt a case with a secret from PHASEGATE_WEBHOOK_ADOPT_SECRET instead',
    },
  };
}

function keySender(scheme: 'api-key' | 'basic', key: AlertKey): AlertSender {
  return {
    scheme,
    key: key.name,
    sources: key.sources,
    adoption: key.mayAdoptCases
      ? { allowed: true, by: `key:${key.name}` }
      : { allowed: false, sender: `key "${key.name}"`, howToAllow: 'set mayAdoptCases: true on its entry in PHASEGATE_ALERT_KEYS' },
  };
}

/**
 * No keys configured: the signature scheme alone, answering exactly as it did before keys existed, so
 * senders that worked keep working (other headers, such as a proxy's Authorization, are ignored).
 */
function signatureOnly(
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  config: AlertAuthConfig,
  presented: ReadonlyArray<keyof typeof DISPLAY>,
): AlertAuthResult {
  const check = matchWebhookSecret(single(headers[SIGNATURE_HEADER]), rawBody, signingSecrets(config));
  if (check.ok) return { ok: true, sender: signatureSender(check.secretIndex, config) };
  const details: ErrorDetail[] = [{ path: DISPLAY[SIGNATURE_HEADER], message: check.reason }];
  for (const header of presented) {
    if (header !== SIGNATURE_HEADER && check.code === 'missing_credentials') {
      details.push({ path: DISPLAY[header], message: 'this server has no alert keys (PHASEGATE_ALERT_KEYS) to check this against' });
    }
  }
  return refuse(401, check.code, 'invalid signature', details);
}

/**
 * The key's scope, once the body is JSON: a key may send only the sources its entry lists. Bodies
 * that are no alert kind at all pass here, for the parser to refuse with its precise reasons.
 */
export function checkSenderScope(sender: Pick<AlertSender, 'scheme' | 'key' | 'sources'>, body: unknown): AlertAuthRefusal | undefined {
  if (!sender.sources) return undefined;
  const source = alertKeySourceOf(body);
  if (source === undefined || sender.sources.has(source)) return undefined;
  const allowed = [...sender.sources].join(', ');
  return refuse(403, 'source_not_allowed', 'this key may not send this alert source', [
    {
      path: source === 'generic' ? '(body)' : 'source',
      message: `key "${sender.key}" may send ${allowed}; this is ${describeSource(source)}`,
    },
  ]);
}

function describeSource(source: AlertKeySource): string {
  switch (source) {
    case 'generic':
      return 'a generic alert (generic)';
    case 'guardduty':
      return 'a GuardDuty finding event (guardduty)';
    case 'securityhub':
      return 'a Security Hub findings event (securityhub)';
    case 'sir-events':
      return 'an AWS Security Incident Response event (sir-events)';
  }
}

function parseBasic(header: string): { name: string; key: string } | undefined {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { name: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function refuse(status: 401 | 403, reason: AlertRefusalReason, error: string, details: ErrorDetail[]): AlertAuthRefusal {
  return { ok: false, status, reason, error, details };
}

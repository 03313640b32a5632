/**
 * `X-Phasegate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<raw body>")>` (SPEC §3), in the
 * style of Stripe's webhook signatures: the timestamp is signed with the body, so a captured request
 * cannot be replayed after the tolerance window, and several `v1=` values or several secrets allow a
 * rotation without downtime.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-phasegate-signature';
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** `code` is the refusal's metric label; `reason` the sentence the sender reads. */
export type SignatureCheck =
  | { ok: true }
  | { ok: false; code: 'missing_credentials' | 'malformed_signature' | 'stale_signature' | 'bad_signature'; reason: string };

export function signWebhook(secret: string, rawBody: Buffer | string, timestampSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${timestampSeconds},v1=${hmac(secret, timestampSeconds, rawBody)}`;
}

export function verifyWebhookSignature(
  header: string | undefined,
  rawBody: Buffer,
  secrets: readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const check = matchWebhookSecret(header, rawBody, secrets, nowSeconds);
  return check.ok ? { ok: true } : check;
}

/** As verifyWebhookSignature, and which of `secrets` signed (what that secret may do depends on its list). */
export function matchWebhookSecret(
  header: string | undefined,
  rawBody: Buffer,
  secrets: readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): Exclude<SignatureCheck, { ok: true }> | { ok: true; secretIndex: number } {
  if (!header) return { ok: false, code: 'missing_credentials', reason: `missing ${SIGNATURE_HEADER} header` };
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([k]) => k === 't').map(([, v]) => v ?? '');
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0]!) || signatures.length === 0) {
    return { ok: false, code: 'malformed_signature', reason: `malformed ${SIGNATURE_HEADER} header: expected t=<unix seconds>,v1=<hex hmac>` };
  }
  const timestamp = Number(timestamps[0]);
  const age = nowSeconds - timestamp;
  if (age > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, code: 'stale_signature', reason: `signature timestamp is ${age} s old (limit ${SIGNATURE_TOLERANCE_SECONDS} s)` };
  if (-age > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, code: 'stale_signature', reason: `signature timestamp is ${-age} s in the future` };

  const candidates = signatures.filter((s) => /^[0-9a-f]{64}$/i.test(s)).map((s) => Buffer.from(s, 'hex'));
  for (const [secretIndex, secret] of secrets.entries()) {
    const expected = Buffer.from(hmac(secret, timestamp, rawBody), 'hex');
    if (candidates.some((candidate) => timingSafeEqual(candidate, expected))) return { ok: true, secretIndex };
  }
  return { ok: false, code: 'bad_signature', reason: 'signature does not match the body with any configured secret' };
}

/** `PHASEGATE_WEBHOOK_SECRET`, comma-separated so the old and the new secret work during a rotation. */
export function parseWebhookSecrets(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * `PHASEGATE_WEBHOOK_ADOPT_SECRET`: secrets that sign like PHASEGATE_WEBHOOK_SECRET's and whose alerts
 * may also adopt an existing SIR case (comma-separated for a rotation). A secret in both lists would
 * leave what its signatures may do to the order of checks, so it is refused.
 */
export function parseAdoptSecrets(value: string | undefined, webhookSecrets: readonly string[]): string[] {
  const secrets = parseWebhookSecrets(value);
  const shared = secrets.findIndex((secret) => webhookSecrets.includes(secret));
  if (shared >= 0) {
    throw new Error(
      `PHASEGATE_WEBHOOK_ADOPT_SECRET: its secret #${shared + 1} is also in PHASEGATE_WEBHOOK_SECRET; list an adopt-capable secret only in PHASEGATE_WEBHOOK_ADOPT_SECRET`,
    );
  }
  return secrets;
}

/** How an adopt-capable secret is named in the case's record: its place in the list, never the secret. */
export function adoptSecretName(index: number): string {
  return `adopt-secret-${index + 1}`;
}

function hmac(secret: string, timestamp: number, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

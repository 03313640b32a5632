/**
 * Slack's v0 request signature (api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">` with the
 * app's signing secret. Requests older (or newer) than five minutes are refused, so a captured click
 * cannot be replayed later; the comparison is constant-time; several secrets allow a rotation.
 *
 * A small verifier of the documented algorithm rather than @slack/bolt's `verifySlackRequest`: Bolt
 * would bring Express and its own receivers into a Fastify server for one function, and its check
 * refuses only stale timestamps, not ones from the future (docs/design-notes.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SlackSignatureCheck = { ok: true } | { ok: false; code: 'missing_signature' | 'malformed_signature' | 'stale_signature' | 'bad_signature'; reason: string };

/** The header value Slack sends for this body and timestamp. */
export function signSlackRequest(secret: string, timestampSeconds: number, rawBody: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSeconds}:`).update(rawBody).digest('hex')}`;
}

export function verifySlackSignature(
  headers: { signature?: string; timestamp?: string },
  rawBody: Buffer,
  secrets: readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): SlackSignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) {
    return { ok: false, code: 'missing_signature', reason: `missing ${!signature ? SLACK_SIGNATURE_HEADER : SLACK_TIMESTAMP_HEADER} header` };
  }
  if (!/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/i.test(signature)) {
    return { ok: false, code: 'malformed_signature', reason: `malformed ${SLACK_SIGNATURE_HEADER} or ${SLACK_TIMESTAMP_HEADER}: expected v0=<hex HMAC-SHA256> and unix seconds` };
  }
  const seconds = Number(timestamp);
  const age = nowSeconds - seconds;
  if (age > SLACK_SIGNATURE_TOLERANCE_SECONDS) return { ok: false, code: 'stale_signature', reason: `request timestamp is ${age} s old (limit ${SLACK_SIGNATURE_TOLERANCE_SECONDS} s)` };
  if (-age > SLACK_SIGNATURE_TOLERANCE_SECONDS) return { ok: false, code: 'stale_signature', reason: `request timestamp is ${-age} s in the future` };

  const given = Buffer.from(signature.slice(3), 'hex');
  let matched = false;
  // Every secret is tried whatever matches, so timing says nothing about which one did.
  for (const secret of secrets) {
    const expected = Buffer.from(signSlackRequest(secret, seconds, rawBody).slice(3), 'hex');
    if (timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, code: 'bad_signature', reason: "signature does not match the body with the app's signing secret" };
}

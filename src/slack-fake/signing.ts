/**
 * How Slack signs the requests it sends an app (api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` and
 * `X-Slack-Request-Timestamp: <unix seconds>`. The fake's own copy, written from Slack's page and not
 * shared with the server's verifier, so a test of one against the other checks something.
 */
import { createHmac } from 'node:crypto';

export interface SlackSignedHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

export function slackSignedHeaders(signingSecret: string, body: string, timestampSeconds = Math.floor(Date.now() / 1000)): SlackSignedHeaders {
  const basestring = ['v0', String(timestampSeconds), body].join(':');
  return {
    'x-slack-signature': `v0=${createHmac('sha256', signingSecret).update(basestring, 'utf8').digest('hex')}`,
    'x-slack-request-timestamp': String(timestampSeconds),
  };
}

/**
 * A `slack-app` channel in the channels file: a Slack app's bot posts each gate's message, with
 * Approve / Reject buttons, to one conversation, and phasegate edits that message as the gate moves on.
 *
 * ```yaml
 *   - name: ir-leads-slack
 *     type: slack-app
 *     slackChannel: C0123456789             # the conversation's id (channel details → About, bottom)
 *     tokenEnv: PHASEGATE_SLACK_BOT_TOKEN   # optional; the variable holding the bot token (xoxb-…)
 * ```
 *
 * The bot token is a secret: only the name of its variable is written here. The Web API's address is
 * PHASEGATE_SLACK_API_URL (default Slack's own), so dev and tests can point the bot at a local fake.
 * The app's signing secret is the server's (PHASEGATE_SLACK_SIGNING_SECRET): clicks arrive there.
 */
import { z } from 'zod';
import type { SlackAppChannel } from './channel';

export const SLACK_BOT_TOKEN_ENV = 'PHASEGATE_SLACK_BOT_TOKEN';
export const SLACK_API_URL_ENV = 'PHASEGATE_SLACK_API_URL';
export const SLACK_API_URL_DEFAULT = 'https://slack.com/api/';

const CONVERSATION = /^[CGD][A-Z0-9]{2,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function slackAppChannelSchema(name: z.ZodType<string>) {
  return z
    .strictObject({
      name,
      type: z.literal('slack-app'),
      slackChannel: z
        .string({ error: (issue) => (issue.input === undefined ? 'is missing: the id of the Slack conversation the bot posts in (C…)' : 'must be text') })
        .regex(CONVERSATION, 'must be a Slack conversation id (C…, G… or D…, capitals and digits), not its #name'),
      tokenEnv: z.string().regex(ENV_NAME, 'must be the name of an environment variable (letters, digits and _)').optional(),
      // Accepted by the schema only to refuse it with the reason below instead of "unknown field".
      token: z.unknown().optional(),
    })
    .superRefine((channel, ctx) => {
      if (channel.token !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['token'],
          message: `a bot token is a secret and must not be written in this file: put it in an environment variable and name that with tokenEnv (default ${SLACK_BOT_TOKEN_ENV})`,
        });
      }
    });
}

export type SlackAppChannelDocument = z.output<ReturnType<typeof slackAppChannelSchema>>;

/** The channel with its token and the API address taken from the environment, or why it cannot be. */
export function resolveSlackAppChannel(doc: SlackAppChannelDocument, env: NodeJS.ProcessEnv): SlackAppChannel | string {
  const tokenEnv = doc.tokenEnv ?? SLACK_BOT_TOKEN_ENV;
  const botToken = env[tokenEnv]?.trim();
  if (!botToken) return `tokenEnv names ${tokenEnv}, which is not set in the worker's environment`;
  // The value is a secret: say what is wrong with it without showing it.
  if (/\s/.test(botToken)) return `${tokenEnv} does not hold a Slack bot token (its value is not shown)`;
  const apiUrl = slackApiUrl(env);
  if (typeof apiUrl !== 'string') return apiUrl.problem;
  return { name: doc.name, type: 'slack-app', conversation: doc.slackChannel, botToken, apiUrl };
}

/** PHASEGATE_SLACK_API_URL, or Slack's own Web API. */
export function slackApiUrl(env: NodeJS.ProcessEnv): string | { problem: string } {
  const value = env[SLACK_API_URL_ENV]?.trim();
  if (!value) return SLACK_API_URL_DEFAULT;
  try {
    const url = new URL(value);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '') return url.href.endsWith('/') ? url.href : `${url.href}/`;
  } catch {
    // reported below
  }
  return { problem: `${SLACK_API_URL_ENV} must be an http(s) URL without user:password, like ${SLACK_API_URL_DEFAULT}` };
}

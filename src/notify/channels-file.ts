/**
 * The channels file (`PHASEGATE_CHANNELS`), read by the worker at start-up: where each notification
 * channel a playbook names goes.
 *
 * ```yaml
 * channels:
 *   - name: ir-leads-slack              # what playbooks write in approval.notify
 *     type: slack                       # a Slack incoming webhook
 *     urlEnv: PHASEGATE_SLACK_IR_LEADS  # the variable holding its URL: Slack webhook URLs are secrets
 *   - name: soc-pager
 *     type: webhook                     # signed JSON POST (X-Phasegate-Signature, as our own webhook)
 *     url: https://pager.example.com/phasegate   # or urlEnv, when the URL carries a token
 *     secretEnv: PHASEGATE_PAGER_SECRET           # optional; default: PHASEGATE_NOTIFY_SECRET
 * ```
 *
 * A webhook channel signs with a secret of its own, never with one phasegate checks on what it
 * receives (inbound-secrets.ts): a receiver holding the alert webhook's secret could post alerts.
 *
 * Every problem, including a variable that is not set, is reported at once on one line that names the
 * file and the field, so a worker refuses to start rather than failing its first notification hours
 * later. Values of variables never appear in messages.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { CHANNEL_NAME_RULE, isChannelName } from '../domain/playbook/channel-name';
import { formatPath } from '../domain/playbook/location';
import { parseWebhookSecrets } from '../server/webhook-signature';
import { ChannelDirectory, type NotifyChannel } from './channel';
import { INBOUND_SECRET_ENVS, InboundSecrets, loadInboundSecrets } from './inbound-secrets';
import { resolveSlackAppChannel, slackAppChannelSchema } from './slack-app-channel';

export const CHANNELS_ENV = 'PHASEGATE_CHANNELS';
/** The secret webhook channels sign with when they name none: notifications' own, never an inbound one. */
export const DEFAULT_SIGNING_SECRET_ENV = 'PHASEGATE_NOTIFY_SECRET';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** zod's own wording ("Invalid input: expected string, received undefined") names a type, not the fix. */
const text = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `is missing: ${what}` : `must be text: ${what}`) });

const channelName = text('the channel name playbooks use in approval.notify').refine(isChannelName, { message: `must be ${CHANNEL_NAME_RULE}` });
const envName = text('the name of an environment variable').regex(ENV_NAME, 'must be the name of an environment variable (letters, digits and _)');
const secretEnvName = envName.superRefine((name, ctx) => {
  const inbound = INBOUND_SECRET_ENVS.get(name);
  if (inbound !== undefined) {
    ctx.addIssue({ code: 'custom', message: `must not name ${name}: that is ${inbound}; give notifications a secret of their own (${DEFAULT_SIGNING_SECRET_ENV}, or another variable)` });
  }
});
const plainUrl = text('an http(s) URL').refine(isPlainHttpUrl, {
  message: 'must be an http(s) URL without user:password (put a URL that carries a credential in a variable and use urlEnv)',
});

const slackChannel = z
  .strictObject({
    name: channelName,
    type: z.literal('slack'),
    urlEnv: envName.optional(),
    // Accepted by the schema only to refuse it with the reason below instead of "unknown field".
    url: z.unknown().optional(),
  })
  .superRefine((channel, ctx) => {
    if (channel.url !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'a Slack incoming-webhook URL is a secret and must not be written in this file: put it in an environment variable and name that with urlEnv',
      });
    } else if (channel.urlEnv === undefined) {
      ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: 'is missing: the environment variable that holds the Slack incoming-webhook URL' });
    }
  });

const webhookChannel = z
  .strictObject({
    name: channelName,
    type: z.literal('webhook'),
    url: plainUrl.optional(),
    urlEnv: envName.optional(),
    secretEnv: secretEnvName.optional(),
  })
  .superRefine((channel, ctx) => {
    if ((channel.url === undefined) === (channel.urlEnv === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'a webhook channel needs exactly one of url and urlEnv' });
    }
  });

const channel = z.discriminatedUnion('type', [slackChannel, webhookChannel, slackAppChannelSchema(channelName)], {
  error: (issue) => (issue.code === 'invalid_union' ? 'must be "slack", "slack-app" or "webhook"' : undefined),
});

const channelsFileSchema = z.strictObject(
  {
    channels: z
      .array(channel, { error: (issue) => (issue.input === undefined ? 'is missing: the list of channels' : 'must be a list of channels') })
      .min(1, 'must list at least one channel')
      .superRefine((list, ctx) => {
        list.forEach((c, index) => {
          if (list.findIndex((other) => other.name === c.name) !== index) {
            ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `repeats "${c.name}"; channel names must be unique` });
          }
        });
      }),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be a mapping with a "channels:" list' : undefined) },
);

type ChannelDocument = z.output<typeof channelsFileSchema>['channels'][number];

/** Everything wrong with a channels file, on one line (the CLI prints the first line of an error). */
export class ChannelsFileError extends Error {
  override name = 'ChannelsFileError';

  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} (${CHANNELS_ENV}): ${problems.join('; ')}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

/**
 * The channels named by PHASEGATE_CHANNELS, or undefined when it is not set (notifications off).
 * `inbound`: the secrets no channel may sign with; by default every one this process's environment
 * holds or names (the alert keys file included).
 */
export async function loadChannelsFromEnv(env: NodeJS.ProcessEnv = process.env, inbound?: InboundSecrets): Promise<ChannelDirectory | undefined> {
  const file = env[CHANNELS_ENV]?.trim();
  return file ? loadChannelsFile(file, env, inbound) : undefined;
}

export async function loadChannelsFile(file: string, env: NodeJS.ProcessEnv = process.env, inbound?: InboundSecrets): Promise<ChannelDirectory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ChannelsFileError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseChannelsFile(text, file, env, inbound ?? (await loadInboundSecrets(env)));
}

export function parseChannelsFile(text: string, file: string, env: NodeJS.ProcessEnv = process.env, inbound: InboundSecrets = InboundSecrets.fromEnv(env)): ChannelDirectory {
  const problems: string[] = [];
  const channels = readChannelsDocument(text, file).flatMap((doc, index) => {
    const resolved = resolveChannel(doc, env, inbound);
    if (typeof resolved !== 'string') return [resolved];
    problems.push(`channels[${index}] "${doc.name}": ${resolved}`);
    return [];
  });
  if (problems.length > 0) throw new ChannelsFileError(file, problems);
  return new ChannelDirectory(file, channels);
}

/**
 * The channel names a file defines, checking its shape but not the environment: enough for
 * `phasegate playbooks validate` to find a playbook naming a channel that does not exist, on a
 * machine that does not hold the secrets.
 */
export async function readChannelNames(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ChannelsFileError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return readChannelsDocument(text, file).map((doc) => doc.name);
}

function readChannelsDocument(text: string, file: string): ChannelDocument[] {
  let raw: unknown;
  try {
    raw = parse(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new ChannelsFileError(file, [`not valid YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/:$/, '')}`]);
  }
  const parsed = channelsFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ChannelsFileError(
      file,
      parsed.error.issues.map((issue) => `${formatPath(issue.path.filter((p): p is string | number => typeof p !== 'symbol')) || '(document)'}: ${issue.message}`),
    );
  }
  return parsed.data.channels;
}

/** The channel with its URL and secret taken from the environment, or why it cannot be. */
function resolveChannel(doc: ChannelDocument, env: NodeJS.ProcessEnv, inbound: InboundSecrets): NotifyChannel | string {
  if (doc.type === 'slack-app') return resolveSlackAppChannel(doc, env);
  const url = doc.urlEnv !== undefined ? env[doc.urlEnv]?.trim() : (doc.url as string);
  if (doc.urlEnv !== undefined) {
    if (!url) return `urlEnv names ${doc.urlEnv}, which is not set in the worker's environment`;
    // The value is a secret: say what is wrong with it without showing it.
    if (!isPlainHttpUrl(url)) return `${doc.urlEnv} does not hold an http(s) URL without user:password (its value is not shown)`;
  }
  if (doc.type === 'slack') return { name: doc.name, type: 'slack', url: url! };

  const secretEnv = doc.secretEnv ?? DEFAULT_SIGNING_SECRET_ENV;
  // Comma-separated like PHASEGATE_WEBHOOK_SECRET during a rotation: the first is the one to sign with.
  const secrets = parseWebhookSecrets(env[secretEnv]);
  const signingSecret = secrets[0];
  if (signingSecret === undefined) {
    return doc.secretEnv !== undefined
      ? `secretEnv names ${doc.secretEnv}, which is not set in the worker's environment`
      : `a webhook channel signs what it sends with a secret of its own: set ${DEFAULT_SIGNING_SECRET_ENV} for the worker (e.g. openssl rand -hex 32), or name another variable with secretEnv`;
  }
  // Every entry, not only the signing one: the next secret of a rotation must not be an inbound one either.
  for (const secret of secrets) {
    const inboundMatch = inbound.match(secret);
    if (inboundMatch !== undefined) {
      return `${secretEnv} holds the same value as ${inboundMatch}: a notification signed with it would let every receiver forge what phasegate accepts; give notifications a secret of their own (its value is not shown)`;
    }
  }
  return { name: doc.name, type: 'webhook', url: url!, signingSecret };
}

function isPlainHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

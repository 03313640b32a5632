/**
 * A local stand-in for Slack, for `phasegate dev --slack-fake` and the tests: the Web API methods a
 * phasegate Slack app calls (`chat.postMessage`, `chat.update`, `users.info`, `views.open`, with the
 * bot token checked and Slack's `{ok: false, error}` answers), the response URLs an app answers a
 * click through, and the other direction: a person clicking a button of a message (or submitting a
 * modal) becomes a `block_actions` (or `view_submission`) request POSTed to the app's interactivity
 * URL, signed as Slack signs it. A page at `/` shows the conversations with working buttons.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { renderPage } from './page';
import { slackSignedHeaders } from './signing';
import { type FakeMessage, type FakeSlackUser, FakeWorkspace, buttonsOf } from './workspace';

export const FAKE_TEAM = 'T0PHASEGATE';
export const FAKE_CONVERSATION = 'C0PHASEGATE';
export const FAKE_ADMIN_PREFIX = '/__fake';

export interface SlackFakeOptions {
  port?: number;
  host?: string;
  signingSecret: string;
  botToken: string;
  /** Where clicks go (the phasegate server's /v1/slack/interactions); settable later. */
  interactivityUrl?: string;
  team?: string;
  users: FakeSlackUser[];
  conversations?: string[];
}

export type ClickAction = 'approve' | 'reject' | 'reject-with-reason';

export interface ClickRequest {
  user: string;
  action: ClickAction;
  conversation?: string;
  /** The message (default: the newest one in the conversation with phasegate's buttons). */
  ts?: string;
  /** Which version of the message the person sees: the first (as posted, a stale screen) or the latest. */
  version?: 'first' | 'latest';
}

/** A request as the fake sent it, so a test can send the very same bytes again. */
export interface SentRequest {
  body: string;
  headers: Record<string, string>;
}

export interface ClickResult {
  status: number;
  body: string;
  sent: SentRequest;
}

export interface SlackFake {
  readonly url: string;
  /** Give this to the app as PHASEGATE_SLACK_API_URL. */
  readonly apiUrl: string;
  readonly workspace: FakeWorkspace;
  setInteractivityUrl(url: string): void;
  click(request: ClickRequest): Promise<ClickResult>;
  /** Submits the newest modal the app opened for this user, with this reason. */
  submitReason(user: string, reason: string): Promise<ClickResult>;
  /** Sends a body with headers of the caller's choosing to the interactivity URL (a replay, a forgery). */
  send(sent: SentRequest): Promise<{ status: number; body: string }>;
  /** Signs a form body as Slack would, now or at another time. */
  sign(body: string, options?: { secret?: string; timestampSeconds?: number }): SentRequest;
  close(): Promise<void>;
}

const ACTION_IDS: Record<ClickAction, string> = {
  approve: 'phasegate-approve',
  reject: 'phasegate-reject',
  'reject-with-reason': 'phasegate-reject-with-reason',
};

export async function startSlackFake(options: SlackFakeOptions): Promise<SlackFake> {
  const team = options.team ?? FAKE_TEAM;
  const workspace = new FakeWorkspace(team, options.users, options.conversations ?? [FAKE_CONVERSATION]);
  let interactivityUrl = options.interactivityUrl;
  let baseUrl = '';

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'application/json'], { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, request.headers['content-type']?.startsWith('application/json') ? (JSON.parse(body as string) as unknown) : Object.fromEntries(new URLSearchParams(body as string)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  const sign = (body: string, opts: { secret?: string; timestampSeconds?: number } = {}): SentRequest => ({
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignedHeaders(opts.secret ?? options.signingSecret, body, opts.timestampSeconds) },
  });
  const send = async (sent: SentRequest): Promise<{ status: number; body: string }> => {
    if (!interactivityUrl) throw new Error('the fake Slack has no interactivity URL to send clicks to');
    const response = await fetch(interactivityUrl, { method: 'POST', headers: sent.headers, body: sent.body, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  };
  const post = async (payload: object): Promise<ClickResult> => {
    const sent = sign(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    return { ...(await send(sent)), sent };
  };

  const click = async (request: ClickRequest): Promise<ClickResult> => {
    const user = workspace.user(request.user);
    if (!user) throw new Error(`the fake Slack has no user ${request.user}`);
    const conversation = request.conversation ?? workspace.conversations[0]!;
    const message = request.ts
      ? workspace.message(conversation, request.ts)
      : [...workspace.messages].reverse().find((m) => m.conversation === conversation && !m.threadTs && buttonsOf(m.versions[0]!.blocks).length > 0);
    if (!message) throw new Error(`no message ${request.ts ?? 'with phasegate buttons'} in ${conversation}`);
    const version = request.version === 'first' ? message.versions[0]! : message.versions.at(-1)!;
    const button = buttonsOf(version.blocks).find((b) => b.action_id === ACTION_IDS[request.action]);
    if (!button) throw new Error(`the ${request.version ?? 'latest'} version of message ${message.ts} has no ${request.action} button`);
    const responseUrl = `${baseUrl}/response/${workspace.issueResponse(user.id, conversation)}`;
    return post({
      type: 'block_actions',
      user: { id: user.id, username: user.name, name: user.name, team_id: user.team ?? team },
      api_app_id: 'A0PHASEGATE',
      token: 'legacy-verification-token-unused',
      container: { type: 'message', message_ts: message.ts, channel_id: conversation, is_ephemeral: false },
      trigger_id: workspace.issueTrigger(user.id, responseUrl),
      team: { id: team, domain: 'phasegate-fake' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: conversation, name: 'phasegate' },
      message: { type: 'message', ts: message.ts, text: version.text, blocks: version.blocks },
      state: { values: {} },
      response_url: responseUrl,
      actions: [{ ...button, action_ts: `${Date.now() / 1000}` }],
    });
  };

  const submitReason = async (userId: string, reason: string): Promise<ClickResult> => {
    const user = workspace.user(userId);
    const opened = [...workspace.views].reverse().find((v) => v.user === userId);
    if (!user || !opened) throw new Error(`no modal is open for ${userId}`);
    const { view } = opened;
    return post({
      type: 'view_submission',
      team: { id: team, domain: 'phasegate-fake' },
      user: { id: user.id, username: user.name, name: user.name, team_id: user.team ?? team },
      api_app_id: 'A0PHASEGATE',
      trigger_id: workspace.issueTrigger(user.id),
      view: {
        id: opened.id,
        type: 'modal',
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
      },
      response_urls: [],
    });
  };

  // ---- the Web API ----------------------------------------------------------------------------
  const api = (method: string, handler: (args: Record<string, unknown>) => Record<string, unknown>): void => {
    app.post(`/api/${method}`, async (request, reply) => {
      const authorized = request.headers.authorization === `Bearer ${options.botToken}`;
      workspace.calls.push({ method, authorized, at: Date.now() });
      // Slack answers 200 with ok: false for its own refusals.
      if (!authorized) return reply.send({ ok: false, error: request.headers.authorization ? 'invalid_auth' : 'not_authed' });
      const args = (request.body ?? {}) as Record<string, unknown>;
      return reply.send(handler(args));
    });
  };
  const str = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');
  const json = (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return undefined;
    }
  };

  api('chat.postMessage', (args) => {
    const conversation = str(args.channel);
    if (!workspace.conversations.includes(conversation)) return { ok: false, error: 'channel_not_found' };
    const blocks = json(args.blocks) ?? [];
    if (!Array.isArray(blocks)) return { ok: false, error: 'invalid_blocks' };
    const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
    if (threadTs && !workspace.message(conversation, threadTs)) return { ok: false, error: 'thread_not_found' };
    const message: FakeMessage = { conversation, ts: workspace.nextTs(), ...(threadTs && { threadTs }), versions: [{ text: str(args.text), blocks, at: Date.now() }] };
    workspace.messages.push(message);
    return { ok: true, channel: conversation, ts: message.ts, message: { type: 'message', ts: message.ts, text: message.versions[0]!.text, blocks } };
  });

  api('chat.update', (args) => {
    const message = workspace.message(str(args.channel), str(args.ts));
    if (!message) return { ok: false, error: 'message_not_found' };
    const blocks = json(args.blocks) ?? [];
    if (!Array.isArray(blocks)) return { ok: false, error: 'invalid_blocks' };
    message.versions.push({ text: str(args.text), blocks, at: Date.now() });
    return { ok: true, channel: message.conversation, ts: message.ts, text: str(args.text) };
  });

  api('users.info', (args) => {
    const user = workspace.user(str(args.user));
    if (!user) return { ok: false, error: 'user_not_found' };
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: user.team ?? team,
        name: user.name,
        deleted: user.deleted === true,
        is_bot: false,
        is_restricted: user.guest === true,
        is_ultra_restricted: false,
        is_email_confirmed: user.emailConfirmed !== false,
        profile: { real_name: user.name, display_name: user.name, ...(user.email && { email: user.email }) },
      },
    };
  });

  api('views.open', (args) => {
    const trigger = workspace.takeTrigger(str(args.trigger_id));
    if (trigger === undefined) return { ok: false, error: 'invalid_trigger_id' };
    if (trigger === 'expired') return { ok: false, error: 'expired_trigger_id' };
    const view = json(args.view);
    if (!view || typeof view !== 'object') return { ok: false, error: 'invalid_arguments' };
    const id = `V${workspace.views.length + 1}${Date.now().toString(36).toUpperCase()}`;
    workspace.views.push({ id, user: trigger.user, view: view as Record<string, unknown>, ...(trigger.responseUrl && { responseUrl: trigger.responseUrl }), at: Date.now() });
    return { ok: true, view: { id, ...(view) } };
  });

  app.post('/api/:method', async (request, reply) => reply.send({ ok: false, error: 'unknown_method', method: (request.params as { method: string }).method }));

  // ---- response URLs --------------------------------------------------------------------------
  app.post('/response/:id', async (request, reply) => {
    const response = workspace.response((request.params as { id: string }).id);
    if (!response) return reply.code(404).type('text/plain').send('expired_url');
    const body = (request.body ?? {}) as { text?: unknown; response_type?: unknown };
    workspace.ephemerals.push({ user: response.user, conversation: response.conversation, text: str(body.text), at: Date.now() });
    return reply.type('text/plain').send('ok');
  });

  /** The first ephemeral message to this user after the n-th, within 10 s. */
  const ephemeralAfter = async (n: number, user: string): Promise<string | null> => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const found = workspace.ephemerals.slice(n).find((e) => e.user === user);
      if (found) return found.text;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  };

  // ---- the page and its admin routes ----------------------------------------------------------
  const back = (reply: FastifyReply, form: Record<string, unknown>, result: unknown): FastifyReply =>
    form.page !== undefined ? reply.code(303).header('location', '/').send() : reply.send(result);
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderPage(workspace)));
  app.get(`${FAKE_ADMIN_PREFIX}/state`, async () => ({ team, conversations: workspace.conversations, messages: workspace.messages, ephemerals: workspace.ephemerals, views: workspace.views, users: workspace.users }));
  app.post(`${FAKE_ADMIN_PREFIX}/click`, async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, unknown>;
    try {
      const answered = workspace.ephemerals.length;
      const result = await click({
        user: str(form.user),
        action: str(form.action) as ClickAction,
        ...(typeof form.ts === 'string' && form.ts && { ts: form.ts }),
        ...(typeof form.conversation === 'string' && form.conversation && { conversation: form.conversation }),
      });
      // The app answers a click after acknowledging it; a caller without a screen may wait for that answer.
      const answer = form.wait === undefined || result.status !== 200 ? undefined : await ephemeralAfter(answered, str(form.user));
      return back(reply, form, { status: result.status, body: result.body, ...(answer !== undefined && { answer }) });
    } catch (err) {
      return reply.code(400).send({ error: 'click not sent', details: [{ path: '(body)', message: (err as Error).message }] });
    }
  });
  app.post(`${FAKE_ADMIN_PREFIX}/submit`, async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, unknown>;
    try {
      const result = await submitReason(str(form.user), str(form.reason));
      return back(reply, form, { status: result.status, body: result.body });
    } catch (err) {
      return reply.code(400).send({ error: 'modal not submitted', details: [{ path: '(body)', message: (err as Error).message }] });
    }
  });

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    workspace,
    setInteractivityUrl: (url) => {
      interactivityUrl = url;
    },
    click,
    submitReason,
    send,
    sign,
    close: () => app.close(),
  };
}

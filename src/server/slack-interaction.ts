/**
 * What Slack POSTs to the interactivity URL, as far as phasegate reads it: a form body whose `payload`
 * field is JSON, either `block_actions` (a button of a gate's message) or `view_submission` (the
 * "reject with reason" modal). Only the fields phasegate uses are checked; Slack adds fields freely.
 */
import { z } from 'zod';
import {
  ACTION_APPROVE,
  ACTION_REJECT,
  ACTION_REJECT_WITH_REASON,
  type GateRef,
  REASON_ACTION_ID,
  REASON_BLOCK_ID,
  REJECT_REASON_CALLBACK_ID,
  parseGateValue,
} from '../notify/slack-app-actions';
import { zodDetails } from './zod-details';
import type { ErrorDetail } from './http-errors';

export interface SlackActor {
  /** The workspace the click came from. */
  team: string;
  user: string;
  /** Slack's display of the user, for messages only. */
  name?: string;
}

export type SlackInteraction =
  | { kind: 'decide'; actor: SlackActor; gate: GateRef; decision: 'approve' | 'reject'; responseUrl?: string; comment?: string }
  | { kind: 'ask-reason'; actor: SlackActor; gate: GateRef; triggerId: string; responseUrl?: string }
  | { kind: 'ignored'; why: string };

const id = z.string().min(1).max(64);
const user = z.looseObject({ id, team_id: id.optional(), username: z.string().max(256).optional(), name: z.string().max(256).optional() });
const team = z.looseObject({ id }).nullable().optional();

const blockActions = z.looseObject({
  type: z.literal('block_actions'),
  user,
  team,
  trigger_id: z.string().max(256).optional(),
  response_url: z.string().max(2000).optional(),
  actions: z.array(z.looseObject({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
});

const viewSubmission = z.looseObject({
  type: z.literal('view_submission'),
  user,
  team,
  view: z.looseObject({
    callback_id: z.string().max(255).optional(),
    private_metadata: z.string().max(3000).optional(),
    state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().nullable().optional() }))) }).optional(),
  }),
});

const envelope = z.looseObject({ type: z.string().max(64) });

/** What the modal carries from the click that opened it to its submission. */
export interface ReasonModalMetadata extends GateRef {
  responseUrl?: string;
}

export function reasonModalMetadata(meta: ReasonModalMetadata): string {
  return JSON.stringify(meta);
}

export type ParsedInteraction = { ok: true; interaction: SlackInteraction } | { ok: false; error: string; details: ErrorDetail[] };

/** The form body Slack signed, read into what phasegate does with it. */
export function parseSlackInteraction(rawBody: Buffer): ParsedInteraction {
  const form = new URLSearchParams(rawBody.toString('utf8'));
  const payloadText = form.get('payload');
  if (payloadText === null) return { ok: false, error: 'no payload', details: [{ path: 'payload', message: 'Slack sends interactions as a form field "payload" holding JSON' }] };
  let json: unknown;
  try {
    json = JSON.parse(payloadText);
  } catch (err) {
    return { ok: false, error: 'malformed payload', details: [{ path: 'payload', message: (err as Error).message }] };
  }
  const kind = envelope.safeParse(json);
  if (!kind.success) return { ok: false, error: 'invalid payload', details: zodDetails(kind.error, 'payload') };
  if (kind.data.type === 'block_actions') return fromBlockActions(json);
  if (kind.data.type === 'view_submission') return fromViewSubmission(json);
  return { ok: true, interaction: { kind: 'ignored', why: `phasegate does not act on ${kind.data.type} interactions` } };
}

function actorOf(payload: { user: z.output<typeof user>; team?: { id: string } | null }): SlackActor | undefined {
  // An org-wide app gets no team for the click; the user's own workspace then names them.
  const teamId = payload.team?.id ?? payload.user.team_id;
  if (!teamId) return undefined;
  return { team: teamId, user: payload.user.id, ...((payload.user.username ?? payload.user.name) && { name: payload.user.username ?? payload.user.name }) };
}

function fromBlockActions(json: unknown): ParsedInteraction {
  const parsed = blockActions.safeParse(json);
  if (!parsed.success) return { ok: false, error: 'invalid block_actions payload', details: zodDetails(parsed.error, 'payload') };
  const payload = parsed.data;
  const action = payload.actions[0]!;
  if (action.action_id !== ACTION_APPROVE && action.action_id !== ACTION_REJECT && action.action_id !== ACTION_REJECT_WITH_REASON) {
    return { ok: true, interaction: { kind: 'ignored', why: `not a phasegate button (${action.action_id})` } };
  }
  const gate = parseGateValue(action.value);
  const actor = actorOf(payload);
  if (!gate || !actor) return { ok: false, error: 'invalid block_actions payload', details: [{ path: gate ? 'payload.team' : 'payload.actions[0].value', message: gate ? 'no team names the clicking user' : 'the button does not name a phasegate case and approval' }] };
  const responseUrl = payload.response_url;
  if (action.action_id === ACTION_REJECT_WITH_REASON) {
    if (!payload.trigger_id) return { ok: false, error: 'invalid block_actions payload', details: [{ path: 'payload.trigger_id', message: 'a modal needs the trigger_id of the click' }] };
    return { ok: true, interaction: { kind: 'ask-reason', actor, gate, triggerId: payload.trigger_id, ...(responseUrl && { responseUrl }) } };
  }
  return { ok: true, interaction: { kind: 'decide', actor, gate, decision: action.action_id === ACTION_APPROVE ? 'approve' : 'reject', ...(responseUrl && { responseUrl }) } };
}

function fromViewSubmission(json: unknown): ParsedInteraction {
  const parsed = viewSubmission.safeParse(json);
  if (!parsed.success) return { ok: false, error: 'invalid view_submission payload', details: zodDetails(parsed.error, 'payload') };
  const { view } = parsed.data;
  if (view.callback_id !== REJECT_REASON_CALLBACK_ID) return { ok: true, interaction: { kind: 'ignored', why: `not a phasegate modal (${view.callback_id ?? 'no callback_id'})` } };
  let meta: ReasonModalMetadata | undefined;
  try {
    const raw = JSON.parse(view.private_metadata ?? '') as Partial<ReasonModalMetadata>;
    const gate = parseGateValue(JSON.stringify({ workflowId: raw.workflowId, approvalId: raw.approvalId }));
    if (gate) meta = { ...gate, ...(typeof raw.responseUrl === 'string' && { responseUrl: raw.responseUrl }) };
  } catch {
    meta = undefined;
  }
  const actor = actorOf(parsed.data);
  if (!meta || !actor) return { ok: false, error: 'invalid view_submission payload', details: [{ path: 'payload.view.private_metadata', message: 'the modal does not name a phasegate case and approval' }] };
  const reason = view.state?.values[REASON_BLOCK_ID]?.[REASON_ACTION_ID]?.value ?? '';
  return {
    ok: true,
    interaction: {
      kind: 'decide',
      actor,
      gate: { workflowId: meta.workflowId, approvalId: meta.approvalId },
      decision: 'reject',
      comment: reason,
      ...(meta.responseUrl && { responseUrl: meta.responseUrl }),
    },
  };
}

/**
 * POST /v1/slack/interactions: the Slack app's interactivity URL (SPEC §3). A click on a gate's
 * button (or the "reject with reason" modal's submission) is authenticated only by Slack's v0 request
 * signature over the raw body; anything else is 401 and decides nothing. The clicking Slack user is
 * mapped to a phasegate user through the users file (slack-users.ts), and the decision goes through
 * the same attested path as POST /v1/cases/{case}/decisions: the server attests the act for that user
 * and the case applies its rules (approvalId, quorum, separation of duties; a repeat answers the
 * first outcome).
 *
 * Slack wants an answer within 3 s, so the route answers 200 as soon as the request is verified and
 * read, and then decides; the clicker hears the outcome as an ephemeral message (through the click's
 * `response_url`), and the gate's message itself is edited by the case (workflows/approval-messages.ts).
 */
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { DecisionKeys } from '../../attestation/decision-keys';
import { REFUSAL_TYPES } from '../../domain/case/rules';
import { recordRefusalSignal, type DecisionAnswer } from '../../domain/contract/messages';
import { REASON_ACTION_ID, REASON_BLOCK_ID, REASON_MAX_LENGTH, REJECT_REASON_CALLBACK_ID } from '../../notify/slack-app-actions';
import { escape } from '../../notify/slack-message';
import { CaseCommandError, decide, findCase } from '../../temporal/case-commands';
import { sendError } from '../http-errors';
import type { ServerMetrics } from '../metrics';
import type { SlackApp } from '../slack-app';
import { type SlackInteraction, parseSlackInteraction, reasonModalMetadata } from '../slack-interaction';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackSignature } from '../slack-signature';
import { identifySlackUser } from '../slack-users';
import type { UserDirectory } from '../../config/users';

export const SLACK_INTERACTIONS_ROUTE = '/v1/slack/interactions';

export interface SlackRouteDeps {
  client: Client;
  users?: UserDirectory;
  decisionKeys?: DecisionKeys;
  slack?: SlackApp;
  metrics: ServerMetrics;
}

type Decide = Extract<SlackInteraction, { kind: 'decide' }>;
type AskReason = Extract<SlackInteraction, { kind: 'ask-reason' }>;

export function registerSlackRoutes(app: FastifyInstance, deps: SlackRouteDeps): void {
  // Work that goes on after the answer; the server waits for it when it closes.
  const running = new Set<Promise<void>>();
  const afterAnswer = (work: Promise<void>): void => {
    const tracked = work.finally(() => running.delete(tracked));
    running.add(tracked);
  };
  app.addHook('onClose', async () => {
    await Promise.allSettled([...running]);
  });

  // Slack sends a form; only this route reads one (the others keep answering 415 to it).
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    scope.post(SLACK_INTERACTIONS_ROUTE, async (request, reply) => {
      const { slack } = deps;
      if (!slack) {
        deps.metrics.slackInteractions.inc({ outcome: 'unauthenticated' });
        return sendError(reply, 401, 'Slack interactivity is not configured', [
          { path: 'PHASEGATE_SLACK_SIGNING_SECRET', message: "the server was started without the Slack app's signing secret" },
        ]);
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = (name: string): string | undefined => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const check = verifySlackSignature({ signature: header(SLACK_SIGNATURE_HEADER), timestamp: header(SLACK_TIMESTAMP_HEADER) }, raw, slack.signingSecrets);
      if (!check.ok) {
        deps.metrics.slackInteractions.inc({ outcome: 'unauthenticated' });
        request.log.warn({ reason: check.code }, 'Slack interaction refused: signature');
        return sendError(reply, 401, 'invalid Slack signature', [{ path: SLACK_SIGNATURE_HEADER, message: check.reason }]);
      }
      const parsed = parseSlackInteraction(raw);
      if (!parsed.ok) {
        deps.metrics.slackInteractions.inc({ outcome: 'invalid' });
        return sendError(reply, 400, parsed.error, parsed.details);
      }
      const { interaction } = parsed;
      switch (interaction.kind) {
        case 'ignored':
          deps.metrics.slackInteractions.inc({ outcome: 'ignored' });
          return reply.code(200).send();
        case 'ask-reason':
          // Slack's trigger_id lives 3 s: the modal opens before anything slower is checked.
          afterAnswer(askReason(deps, slack, interaction, request.log));
          return reply.code(200).send();
        case 'decide': {
          if (interaction.comment !== undefined) {
            const reason = interaction.comment.trim();
            if (reason.length === 0 || reason.length > REASON_MAX_LENGTH) {
              // The modal stays open and says what to fix.
              return reply.code(200).send({ response_action: 'errors', errors: { [REASON_BLOCK_ID]: `Give a reason of 1 to ${REASON_MAX_LENGTH} characters.` } });
            }
          }
          afterAnswer(decideFromSlack(deps, slack, interaction, request.log));
          return reply.code(200).send();
        }
      }
    });
  });
}

async function decideFromSlack(deps: SlackRouteDeps, slack: SlackApp, interaction: Decide, log: FastifyBaseLogger): Promise<void> {
  const { actor, gate, decision } = interaction;
  const comment = interaction.comment?.trim();
  const say = (text: string): Promise<void> => respond(slack, interaction.responseUrl, text, log);
  const fields = { slackTeam: actor.team, slackUser: actor.user, workflowId: gate.workflowId, approvalId: gate.approvalId, decision };
  try {
    const identity = await identifySlackUser(actor, deps.users, slack);
    if (!identity.ok) {
      const type = identity.unmapped ? REFUSAL_TYPES.unmappedSlackUser : REFUSAL_TYPES.proofUnavailable;
      deps.metrics.slackInteractions.inc({ outcome: identity.unmapped ? 'unmapped' : 'failed' });
      log.info({ ...fields, refusal: type }, 'Slack click refused: who clicked');
      if (identity.unmapped) await recordRefusal(deps.client, gate.workflowId, { by: `slack:${actor.team}/${actor.user}`, what: `${decision} #${gate.approvalId} (slack)`, type, message: identity.reason }, log);
      await say(`:no_entry: Nothing was decided (${type}): ${escape(identity.reason)}`);
      return;
    }
    const { user } = identity;
    const handle = await findCase(deps.client, gate.workflowId);
    const attestation = deps.decisionKeys?.attest(
      { kind: 'decide', namespace: deps.client.options.namespace, workflowId: handle.workflowId, approvalId: gate.approvalId, decision, comment },
      user.name,
      user.groups,
    );
    const answer = await decide(handle, {
      approvalId: gate.approvalId,
      decision,
      ...(comment !== undefined && { comment }),
      by: user.name,
      groups: user.groups,
      ...(attestation && { attestation }),
    });
    deps.metrics.decisions.inc({ decision, result: 'accepted' });
    deps.metrics.slackInteractions.inc({ outcome: 'decided' });
    log.info({ ...fields, by: user.name, mappedBy: identity.by, result: answer.result }, 'decision recorded from Slack');
    await say(confirmation(answer, user.name));
  } catch (err) {
    if (!(err instanceof CaseCommandError)) {
      deps.metrics.slackInteractions.inc({ outcome: 'failed' });
      log.error({ ...fields, err }, 'Slack click failed');
      await say(':warning: phasegate could not record this click; try again in a moment.');
      return;
    }
    deps.metrics.decisions.inc({ decision, result: 'refused' });
    deps.metrics.slackInteractions.inc({ outcome: 'refused' });
    log.info({ ...fields, refusal: err.type }, 'Slack click refused');
    await say(refusalText(err));
  }
}

async function askReason(deps: SlackRouteDeps, slack: SlackApp, interaction: AskReason, log: FastifyBaseLogger): Promise<void> {
  const { gate } = interaction;
  if (!slack.api) {
    await respond(slack, interaction.responseUrl, ':information_source: Rejecting with a reason needs the app\'s bot token on the phasegate server (PHASEGATE_SLACK_BOT_TOKEN); use Reject, or `phasegate reject … --comment`.', log);
    return;
  }
  try {
    await slack.api.views.open({
      trigger_id: interaction.triggerId,
      view: {
        type: 'modal',
        callback_id: REJECT_REASON_CALLBACK_ID,
        private_metadata: reasonModalMetadata({ ...gate, ...(interaction.responseUrl && { responseUrl: interaction.responseUrl }) }),
        title: { type: 'plain_text', text: 'Reject approval' },
        submit: { type: 'plain_text', text: 'Reject' },
        close: { type: 'plain_text', text: 'Cancel' },
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `Reject approval #${gate.approvalId} of \`${escape(gate.workflowId)}\`. The reason goes on the case and its SIR comment.` } },
          {
            type: 'input',
            block_id: REASON_BLOCK_ID,
            label: { type: 'plain_text', text: 'Why?' },
            element: { type: 'plain_text_input', action_id: REASON_ACTION_ID, multiline: true, min_length: 1, max_length: REASON_MAX_LENGTH },
          },
        ],
      },
    });
    deps.metrics.slackInteractions.inc({ outcome: 'modal' });
  } catch (err) {
    deps.metrics.slackInteractions.inc({ outcome: 'failed' });
    const said = (err as { data?: { error?: unknown } }).data?.error;
    log.warn({ workflowId: gate.workflowId, approvalId: gate.approvalId, reason: typeof said === 'string' ? said : (err as Error).message }, 'Slack modal not opened');
    await respond(slack, interaction.responseUrl, ':warning: phasegate could not open the reason dialog; click again, or use Reject.', log);
  }
}

/** Kept on the case with its own refusals, so operators see the click that decided nothing. */
async function recordRefusal(client: Client, workflowId: string, report: { by: string; what: string; type: string; message: string }, log: FastifyBaseLogger): Promise<void> {
  await client.workflow
    .getHandle(workflowId)
    .signal(recordRefusalSignal, report)
    .catch((err: unknown) => log.warn({ workflowId, reason: (err as Error).message }, 'refusal not recorded on the case'));
}

function confirmation(answer: DecisionAnswer, by: string): string {
  const record = answer.state.decisions.find((d) => d.approvalId === answer.approvalId && d.by === by && d.decision === answer.decision);
  const when = record ? ` (recorded ${record.at})` : '';
  const gate = `approval #${answer.approvalId} to move case ${escape(answer.state.caseId ?? '')} to "${escape(answer.target)}"`;
  switch (answer.result) {
    case 'approved':
      return `:white_check_mark: You approved ${gate}${when}; the case is moving.`;
    case 'counted':
      return `:white_check_mark: Your approval of ${gate} is counted${when}; ${answer.approvalsNeeded} more distinct approver${answer.approvalsNeeded === 1 ? '' : 's'} needed.`;
    case 'rejected':
      return `:x: You rejected ${gate}${when}; ${answer.next === 'closing' ? 'the case is closing' : 'the case stays where it is'}.`;
  }
}

function refusalText(err: CaseCommandError): string {
  if (err.type === REFUSAL_TYPES.approvalNotPending || err.type === REFUSAL_TYPES.caseClosed) {
    return `:information_source: Nothing changed (${err.type}): ${escape(err.message)}`;
  }
  if (err.kind === 'unavailable') return `:warning: Nothing was decided (${err.type}): ${escape(err.message)}. Try again in a moment.`;
  return `:no_entry: Nothing was decided (${err.type}): ${escape(err.message)}`;
}

/** An ephemeral message to the clicker, through the click's response_url (Slack's own, or the fake's in dev). */
async function respond(slack: SlackApp, responseUrl: string | undefined, text: string, log: FastifyBaseLogger): Promise<void> {
  if (!responseUrl) return;
  if (!slack.allowsResponseUrl(responseUrl)) {
    log.warn('Slack click with a response_url that is not Slack\'s: not answered');
    return;
  }
  try {
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      redirect: 'error',
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) log.warn({ status: response.status }, 'Slack did not take the ephemeral answer');
  } catch (err) {
    log.warn({ reason: (err as Error).message }, 'Slack ephemeral answer not sent');
  }
}

/**
 * POST /v1/alerts: authenticated alert in, one case workflow per alert fingerprint out. The order of
 * checks is deliberate: nothing is parsed before the sender is proven, nothing is parsed past the
 * envelope before the sender's key is known to be allowed that source, and nothing reaches Temporal
 * before the alert is valid, its sender may adopt the case it names (if it names one) and it has a
 * playbook. SIR's own events (source aws.security-ir) arrive on the same route and go to the case
 * they are about. Past authentication, both are taken by the code the SQS intake shares
 * (src/intake/event-intake.ts); this route only turns the outcome into an HTTP answer.
 */
import type { Client } from '@temporalio/client';
import type { DecisionKeys } from '../../attestation/decision-keys';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Playbook } from '../../domain/playbook/playbook';
import type { AcceptedRequests } from '../accepted-requests';
import { isSirEvent } from '../../domain/sir-api/event';
import { parseAlertJson, type AlertAccepted } from '../../intake/alert-intake';
import { takeEvent } from '../../intake/event-intake';
import type { AlertRefusalReason } from '../../intake/intake-counters';
import type { SirEventAnswer } from '../../intake/sir-event-intake';
import { isTemporalUnavailable } from '../../temporal/temporal-availability';
import { authenticateAlert, checkSenderScope } from '../alert-auth';
import type { AlertIntakeMemory } from '../../intake/alert-intake-memory';
import type { AlertKeyring } from '../alert-keys';
import { sendTemporalUnavailable } from '../temporal-availability';
import { type ErrorDetail, sendError } from '../http-errors';
import { limiterAnswerLabel } from '../../intake/intake-counters';
import type { ServerMetrics } from '../metrics';
import { SIGNATURE_HEADER } from '../webhook-signature';

export type { AlertAccepted } from '../../intake/alert-intake';

export interface AlertRouteDeps {
  client: Client;
  playbooks: Playbook[];
  webhookSecrets: string[];
  /** PHASEGATE_WEBHOOK_ADOPT_SECRET: secrets whose signed alerts may also adopt an existing SIR case. */
  adoptSecrets?: string[];
  /** PHASEGATE_ALERT_KEYS: API keys and Basic credentials for EventBridge API destinations. */
  alertKeys?: AlertKeyring;
  taskQueue: string;
  metrics: ServerMetrics;
  /** What the server learnt from Temporal about group windows, running cases and full hours. */
  memory: AlertIntakeMemory;
  /** Signed requests already accepted: a replay gets the first answer and sends no new signal. */
  acceptedRequests: AcceptedRequests;
  /** `detail.updatedBy` values of SIR events phasegate caused itself (PHASEGATE_SIR_IDENTITY). */
  sirIdentities: readonly string[];
  /** Attest starts that adopt a SIR case (alert-intake.ts). */
  decisionKeys?: DecisionKeys;
}

export function registerAlertRoute(app: FastifyInstance, deps: AlertRouteDeps): void {
  app.post('/v1/alerts', async (request, reply) => {
    const refuse = (refusal: { status: number; reason: AlertRefusalReason; error: string; details: ErrorDetail[] }): FastifyReply => {
      deps.metrics.alerts.inc({ outcome: 'refused' });
      deps.metrics.alertRefusals.inc({ reason: refusal.reason });
      return sendError(reply, refusal.status, refusal.error, refusal.details);
    };
    const raw = request.body;
    if (!Buffer.isBuffer(raw) || raw.length === 0) {
      return refuse({ status: 400, reason: 'empty_body', error: 'empty body', details: [{ path: '(body)', message: 'send the alert as a JSON object' }] });
    }

    const auth = authenticateAlert(request.headers, raw, { webhookSecrets: deps.webhookSecrets, adoptSecrets: deps.adoptSecrets, keys: deps.alertKeys });
    if (!auth.ok) return refuse(auth);
    const { sender } = auth;
    deps.metrics.alertSenders.inc({ scheme: sender.scheme, key: sender.key ?? '' });

    const body = parseAlertJson(raw);
    if (!body.ok) return refuse(body);
    const outOfScope = checkSenderScope(sender, body.json);
    if (outOfScope) {
      request.log.warn({ key: sender.key, reason: outOfScope.reason }, 'alert key used for a source it may not send');
      return refuse(outOfScope);
    }

    // Only a signature names one request (its timestamp and body): a replay of it is answered from memory.
    const signed = sender.scheme === 'signature' ? (request.headers[SIGNATURE_HEADER] as string) : undefined;
    const remember = (answer: object): void => {
      if (signed) deps.acceptedRequests.remember(signed, raw, answer);
    };
    // A SIR event's copy is never news; an alert's first copy after its answer may be a resend (issue 21).
    const replayed = signed ? await deps.acceptedRequests.replayOf(signed, raw, reply.raw, { oneRepeat: !isSirEvent(body.json) }) : undefined;
    if (replayed) {
      // The alert already has its case (this very request made or joined it): a duplicate, not signalled again.
      deps.metrics.alerts.inc({ outcome: 'replayed' });
      return reply.code(202).send({ ...replayed, ...('duplicate' in replayed && { duplicate: true }), replayed: true });
    }

    let taken;
    try {
      taken = await takeEvent(deps, body.json, sender.adoption);
    } catch (err) {
      if (!isTemporalUnavailable(err)) throw err;
      if (isSirEvent(body.json)) {
        deps.metrics.sirEvents.inc({ outcome: 'refused' });
      } else {
        deps.metrics.alerts.inc({ outcome: 'refused' });
        deps.metrics.alertRefusals.inc({ reason: 'temporal_unavailable' });
      }
      return sendTemporalUnavailable(reply, err);
    }

    if (taken.kind === 'sir-event') {
      const { result } = taken;
      if (!result.ok) {
        deps.metrics.sirEvents.inc({ outcome: 'refused' });
        return sendError(reply, result.status, result.error, result.details);
      }
      const { answer } = result;
      deps.metrics.sirEvents.inc({ outcome: answer.ignored ? 'ignored' : 'signalled' });
      if (!answer.ignored) request.log.info({ caseId: answer.caseId, detailType: answer.detailType, workflowId: answer.caseWorkflowId }, 'SIR event passed to its case');
      remember(answer);
      return reply.code(202).send(answer satisfies SirEventAnswer);
    }

    const { result } = taken;
    if (!result.ok) {
      if (result.reason === 'adoption_not_allowed') request.log.warn({ key: sender.key, scheme: sender.scheme }, 'alert names an existing SIR case its sender may not adopt');
      return refuse(result);
    }
    const { accepted } = result;
    deps.metrics.alerts.inc({ outcome: accepted.duplicate ? 'duplicate' : 'accepted' });
    if (accepted.storm) deps.metrics.stormAlerts.inc({ playbook: result.playbook });
    if (result.limiter) deps.metrics.limiterRequests.inc({ playbook: result.playbook, answer: limiterAnswerLabel(result.limiter) });
    if (!accepted.duplicate) request.log.info({ workflowId: accepted.caseWorkflowId, playbook: result.playbook, key: sender.key }, 'case started');
    remember(accepted);
    return reply.code(202).send(accepted satisfies AlertAccepted);
  });
}

/**
 * POST /v1/alerts: signed alert in, one case workflow per alert fingerprint out. The order of checks
 * is deliberate: nothing is parsed before the signature is proven, and nothing reaches Temporal before
 * the alert is valid and has a playbook.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { parseAlert } from '../../domain/alert-parse';
import type { CasePlaybookInput } from '../../domain/case-playbook-input';
import { alertFingerprint } from '../../domain/fingerprint';
import { newCaseFromAlert } from '../../domain/new-case-from-alert';
import type { Playbook } from '../../domain/playbook';
import { routeAlert } from '../../domain/playbook-routing';
import { duplicateAlertSignal } from '../../domain/messages';
import { caseWorkflowOptions } from '../../temporal/case-workflow-options';
import { casePlaybook } from '../../../workflows';
import type { AcceptedRequests } from '../accepted-requests';
import { handleSirEvent, isSirEvent } from '../sir-events';
import { isTemporalUnavailable, sendTemporalUnavailable } from '../temporal-availability';
import { sendError } from '../http-errors';
import type { ServerMetrics } from '../metrics';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../webhook-signature';

export interface AlertRouteDeps {
  client: Client;
  playbooks: Playbook[];
  webhookSecrets: string[];
  taskQueue: string;
  metrics: ServerMetrics;
  /** Signed requests already accepted: a replay gets the first answer and sends no new signal. */
  acceptedRequests: AcceptedRequests;
  /** `detail.updatedBy` values of SIR events phasegate caused itself (PHASEGATE_SIR_IDENTITY). */
  sirIdentities: readonly string[];
}

export interface AlertAccepted {
  caseWorkflowId: string;
  runId: string;
  duplicate: boolean;
  /** A replay of a signed request already accepted: answered from memory, nothing sent to the case. */
  replayed?: true;
}

export function registerAlertRoute(app: FastifyInstance, deps: AlertRouteDeps): void {
  app.post('/v1/alerts', async (request, reply) => {
    const refuse = (status: number, error: string, details: { path: string; message: string }[]) => {
      deps.metrics.alerts.inc({ outcome: 'refused' });
      return sendError(reply, status, error, details);
    };
    const raw = request.body;
    if (!Buffer.isBuffer(raw) || raw.length === 0) {
      return refuse(400, 'empty body', [{ path: '(body)', message: 'send the alert as a JSON object' }]);
    }

    const signature = verifyWebhookSignature(request.headers[SIGNATURE_HEADER] as string | undefined, raw, deps.webhookSecrets);
    if (!signature.ok) return refuse(401, 'invalid signature', [{ path: 'X-Phasegate-Signature', message: signature.reason }]);
    const signed = request.headers[SIGNATURE_HEADER] as string;
    const remember = (answer: object): void => deps.acceptedRequests.remember(signed, raw, answer);
    const replayed = await deps.acceptedRequests.replayOf(signed, raw, reply.raw);
    if (replayed) {
      // The alert already has its case (this very request made or joined it): a duplicate, not signalled again.
      deps.metrics.alerts.inc({ outcome: 'replayed' });
      return reply.code(202).send({ ...replayed, ...('duplicate' in replayed && { duplicate: true }), replayed: true });
    }

    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return refuse(400, 'malformed JSON', [{ path: '(body)', message: (err as Error).message }]);
    }
    if (isSirEvent(json)) return handleSirEvent(reply, { client: deps.client, ownIdentities: deps.sirIdentities, metrics: deps.metrics }, json, remember);
    const parsed = parseAlert(json);
    if (!parsed.ok) return refuse(400, parsed.error, parsed.details.map((d) => ({ path: d.path || '(body)', message: d.message })));
    const { alert } = parsed;

    const routed = routeAlert(deps.playbooks, alert);
    if (!routed.ok) return refuse(422, 'no playbook takes this alert', [{ path: '(alert)', message: routed.reason }]);

    const fingerprint = alertFingerprint(alert);
    const input: CasePlaybookInput = {
      fingerprint,
      playbook: routed.playbook,
      severity: alert.severity,
      ...(alert.caseId ? { caseId: alert.caseId } : { newCase: newCaseFromAlert(routed.playbook, alert, new Date()) }),
    };
    const options = caseWorkflowOptions(input, deps.taskQueue);
    try {
      // REJECT_DUPLICATE: an alert fingerprint opens one case, ever; a resent alert joins it.
      const handle = await deps.client.workflow.start(casePlaybook, { ...options, workflowIdReusePolicy: 'REJECT_DUPLICATE' });
      deps.metrics.alerts.inc({ outcome: 'accepted' });
      request.log.info({ workflowId: handle.workflowId, playbook: routed.playbook.name }, 'case started');
      const accepted: AlertAccepted = { caseWorkflowId: handle.workflowId, runId: handle.firstExecutionRunId, duplicate: false };
      remember(accepted);
      return reply.code(202).send(accepted);
    } catch (startError) {
      try {
        if (!(startError instanceof WorkflowExecutionAlreadyStartedError)) throw startError;
        const accepted = await joinExistingCase(deps.client, options.workflowId);
        deps.metrics.alerts.inc({ outcome: 'duplicate' });
        remember(accepted);
        return reply.code(202).send(accepted);
      } catch (err) {
        if (!isTemporalUnavailable(err)) throw err;
        deps.metrics.alerts.inc({ outcome: 'refused' });
        return sendTemporalUnavailable(reply, err);
      }
    }
  });
}

/** Records the duplicate on the running case (state + SIR comment); a finished case just answers. */
async function joinExistingCase(client: Client, workflowId: string): Promise<AlertAccepted> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') {
    await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() }).catch(() => undefined);
  }
  return { caseWorkflowId: workflowId, runId: description.runId, duplicate: true };
}

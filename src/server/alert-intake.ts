/**
 * From an authenticated alert body to its case: parse, route to a playbook, start the case workflow
 * or join the one its fingerprint already has. POST /v1/alerts and the SQS intake both go through
 * here, so an alert is accepted or refused the same way whichever door it came through.
 *
 * Refusals (bad JSON, invalid alert, no playbook) are returned: they are about the alert and will not
 * change on a retry. Temporal errors are thrown: the caller decides between 503 and keeping the SQS
 * message for later (see isTemporalUnavailable).
 */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { parseAlert } from '../domain/alert-parse';
import type { CasePlaybookInput } from '../domain/case-playbook-input';
import { alertFingerprint } from '../domain/fingerprint';
import { duplicateAlertSignal } from '../domain/messages';
import { newCaseFromAlert } from '../domain/new-case-from-alert';
import type { Playbook } from '../domain/playbook';
import { routeAlert } from '../domain/playbook-routing';
import { caseWorkflowOptions } from '../temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import type { ErrorDetail } from './http-errors';
import type { AlertRefusalReason } from './metrics';

export interface AlertIntakeDeps {
  client: Client;
  playbooks: Playbook[];
  taskQueue: string;
}

export interface AlertAccepted {
  caseWorkflowId: string;
  runId: string;
  duplicate: boolean;
}

export interface AlertRefusal {
  ok: false;
  status: 400 | 422;
  reason: Extract<AlertRefusalReason, 'empty_body' | 'malformed_json' | 'invalid_alert' | 'no_playbook'>;
  error: string;
  details: ErrorDetail[];
}

export type AlertIntakeResult = { ok: true; accepted: AlertAccepted; playbook: string } | AlertRefusal;

export function parseAlertJson(raw: Buffer | string): { ok: true; json: unknown } | AlertRefusal {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.length === 0) return refusal(400, 'empty_body', 'empty body', [{ path: '(body)', message: 'send the alert as a JSON object' }]);
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch (err) {
    return refusal(400, 'malformed_json', 'malformed JSON', [{ path: '(body)', message: (err as Error).message }]);
  }
}

/**
 * Starts the case for an alert, or joins the case its fingerprint already opened. Resolves only once
 * Temporal has the alert: the workflow is started, or the running case was signalled (a finished
 * case is simply named). Throws what Temporal throws.
 */
export async function acceptAlert(deps: AlertIntakeDeps, json: unknown, now: Date = new Date()): Promise<AlertIntakeResult> {
  const parsed = parseAlert(json);
  if (!parsed.ok) return refusal(400, 'invalid_alert', parsed.error, parsed.details.map((d) => ({ path: d.path || '(body)', message: d.message })));
  const { alert } = parsed;

  const routed = routeAlert(deps.playbooks, alert);
  if (!routed.ok) return refusal(422, 'no_playbook', 'no playbook takes this alert', [{ path: '(alert)', message: routed.reason }]);

  const fingerprint = alertFingerprint(alert);
  const input: CasePlaybookInput = {
    fingerprint,
    playbook: routed.playbook,
    severity: alert.severity,
    ...(alert.caseId ? { caseId: alert.caseId } : { newCase: newCaseFromAlert(routed.playbook, alert, now) }),
  };
  const options = caseWorkflowOptions(input, deps.taskQueue);
  try {
    // REJECT_DUPLICATE: an alert fingerprint opens one case, ever; a resent alert joins it.
    const handle = await deps.client.workflow.start(casePlaybook, { ...options, workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    return { ok: true, accepted: { caseWorkflowId: handle.workflowId, runId: handle.firstExecutionRunId, duplicate: false }, playbook: routed.playbook.name };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { ok: true, accepted: await joinExistingCase(deps.client, options.workflowId), playbook: routed.playbook.name };
  }
}

/** Records the duplicate on the running case (state + SIR comment); a finished case just answers. */
async function joinExistingCase(client: Client, workflowId: string): Promise<AlertAccepted> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') {
    try {
      await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    } catch (err) {
      // The case finished between describe and signal: nothing is left to record the duplicate on.
      // Anything else (Temporal unreachable) must reach the caller, which then keeps the alert.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { caseWorkflowId: workflowId, runId: description.runId, duplicate: true };
}

function refusal(status: AlertRefusal['status'], reason: AlertRefusal['reason'], error: string, details: ErrorDetail[]): AlertRefusal {
  return { ok: false, status, reason, error, details };
}

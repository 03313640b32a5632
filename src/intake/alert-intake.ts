/**
 * From an authenticated alert body to its case: parse, check that a sender naming an existing SIR case
 * may adopt it, route to a playbook, start the case workflow or join the one its fingerprint already
 * has. POST /v1/alerts and the SQS intake both go through here, so an alert is accepted or refused the
 * same way whichever door it came through.
 *
 * Refusals (bad JSON, invalid alert, adoption not allowed, no playbook) are returned: they are about
 * the alert and its sender and will not change on a retry. Temporal errors are thrown: the caller
 * decides between 503 and keeping the SQS message for later (see isTemporalUnavailable).
 */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { parseAlert } from '../domain/alert-parse';
import { type GroupMember, alertTime, groupFingerprint, stormFingerprint } from '../domain/alert-group';
import type { AlertProblem } from '../domain/alert-issues';
import type { CasePlaybookInput, NewCaseSpec } from '../domain/case-playbook-input';
import { alertFingerprint } from '../domain/fingerprint';
import { duplicateAlertSignal } from '../domain/messages';
import { CASE_DESCRIPTION_MAX_LENGTH, CASE_TITLE_MAX_LENGTH, newCaseFromAlert } from '../domain/new-case-from-alert';
import { caseWorkflowId } from '../domain/temporal-names';
import { reserveCaseSlot } from '../temporal/case-rate-limiter-client';
import type { Playbook } from '../domain/playbook';
import { routeAlert } from '../domain/playbook-routing';
import { caseWorkflowOptions } from '../temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import type { AlertRefusalReason } from './intake-counters';

export interface AlertIntakeDeps {
  client: Client;
  playbooks: Playbook[];
  taskQueue: string;
}

export interface AlertAccepted {
  caseWorkflowId: string;
  runId: string;
  duplicate: boolean;
  /** The playbook was past maxNewCasesPerHour: the alert joined the hour's storm case. */
  storm?: boolean;
}

export interface AlertRefusal {
  ok: false;
  status: 400 | 403 | 422;
  reason: Extract<AlertRefusalReason, 'empty_body' | 'malformed_json' | 'invalid_alert' | 'adoption_not_allowed' | 'no_playbook'>;
  error: string;
  details: AlertProblem[];
}

/**
 * Whether the sender may make an alert adopt an existing SIR case (`caseId`), as the door that
 * authenticated it says: taking over a case the worker's IAM role can see is a permission, off unless
 * the sender's credential is explicitly scoped for it. `by` names that credential for the record
 * (never a secret); a refusal names the sender and how the permission is given.
 */
export type AdoptionPermission = { allowed: true; by: string } | { allowed: false; sender: string; howToAllow: string };

/** SQS messages carry no credential of their sender: nothing vouches that they may take over a case. */
export const QUEUE_ADOPTION: AdoptionPermission = {
  allowed: false,
  sender: 'a message from the SQS queue',
  howToAllow:
    'queue messages carry no alert key or signature to scope; send alerts that adopt a case to POST /v1/alerts with an alert key that has mayAdoptCases: true, or signed with a PHASEGATE_WEBHOOK_ADOPT_SECRET',
};

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
export async function acceptAlert(deps: AlertIntakeDeps, json: unknown, adoption: AdoptionPermission, now: Date = new Date()): Promise<AlertIntakeResult> {
  const parsed = parseAlert(json);
  if (!parsed.ok) return refusal(400, 'invalid_alert', parsed.error, parsed.details.map((d) => ({ path: d.path || '(body)', message: d.message })));
  const { alert } = parsed;
  // Checked before anything else about the alert: a sender without the permission learns nothing more.
  if (alert.caseId && !adoption.allowed) {
    return refusal(403, 'adoption_not_allowed', 'this sender may not adopt an existing SIR case', [
      {
        path: 'caseId',
        message: `${adoption.sender} lacks the permission to adopt existing SIR cases: ${adoption.howToAllow}; or leave caseId out to open a new case`,
      },
    ]);
  }

  const routed = routeAlert(deps.playbooks, alert);
  if (!routed.ok) return refusal(422, 'no_playbook', 'no playbook takes this alert', [{ path: '(alert)', message: routed.reason }]);

  const { playbook } = routed;
  const fingerprint = alertFingerprint(alert);
  // An alert that names its SIR case is about that case: it is never grouped nor limited.
  const grouped = playbook.group !== undefined && !alert.caseId;
  const at = alertTime(alert, now);
  const caseFingerprint = grouped ? groupFingerprint(playbook.name, playbook.group!, alert, at) : fingerprint;
  // The joining alert itself, for grouped and storm cases (alert-group.ts).
  const member: GroupMember = { fingerprint, severity: alert.severity, at: at.toISOString(), group: caseFingerprint };
  const input: CasePlaybookInput = {
    fingerprint: caseFingerprint,
    playbook,
    severity: alert.severity,
    ...(alert.caseId && adoption.allowed
      ? { caseId: alert.caseId, adoption: { by: adoption.by, at: now.toISOString() } }
      : { newCase: newCaseFromAlert(playbook, alert, now) }),
    ...(grouped && { group: { kind: 'group' as const, first: member } }),
  };
  const limited = playbook.maxNewCasesPerHour !== undefined && !alert.caseId;
  if (limited && !(await mayOpenCase(deps, playbook, caseWorkflowId(caseFingerprint), now))) {
    // Past the hour's limit: the alert joins the playbook's storm case for the hour. Nothing is dropped.
    const storm: CasePlaybookInput = {
      fingerprint: stormFingerprint(playbook.name, now),
      playbook,
      severity: alert.severity,
      newCase: stormCase(newCaseFromAlert(playbook, alert, now), playbook),
      group: { kind: 'storm', first: member },
    };
    const accepted = await startOrJoin(deps, storm, member);
    return { ok: true, accepted: { ...accepted, storm: true }, playbook: playbook.name };
  }
  const accepted = await startOrJoin(deps, input, grouped ? member : undefined);
  return { ok: true, accepted, playbook: playbook.name };
}

async function startOrJoin(deps: AlertIntakeDeps, input: CasePlaybookInput, member: GroupMember | undefined): Promise<AlertAccepted> {
  const options = caseWorkflowOptions(input, deps.taskQueue);
  try {
    // REJECT_DUPLICATE: a fingerprint (an alert's, a group's in its window, a storm's hour) opens one case, ever; later alerts join it.
    const handle = await deps.client.workflow.start(casePlaybook, { ...options, workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    return { caseWorkflowId: handle.workflowId, runId: handle.firstExecutionRunId, duplicate: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return joinExistingCase(deps.client, options.workflowId, member);
  }
}

/**
 * Whether the playbook may open this case now (maxNewCasesPerHour). A case that already exists needs
 * no slot: it is joined, not opened (a group case whose window began in an earlier hour, say).
 */
async function mayOpenCase(deps: AlertIntakeDeps, playbook: Playbook, workflowId: string, now: Date): Promise<boolean> {
  const verdict = await reserveCaseSlot(deps.client, deps.taskQueue, playbook.name, playbook.maxNewCasesPerHour!, workflowId, now);
  if (verdict !== 'limit-reached') return true;
  try {
    await deps.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The storm case says what it is in its SIR title and description. */
function stormCase(spec: NewCaseSpec, playbook: Playbook): NewCaseSpec {
  const note = `phasegate storm case: playbook "${playbook.name}" reached its limit of ${playbook.maxNewCasesPerHour} new cases this hour; further alerts of the hour join this case, counted by group.`;
  return {
    ...spec,
    title: `[storm] ${spec.title}`.slice(0, CASE_TITLE_MAX_LENGTH),
    description: `${note}\n\nFirst alert:\n${spec.description}`.slice(0, CASE_DESCRIPTION_MAX_LENGTH),
  };
}

/** Records the duplicate (or the joining member) on the running case (state + SIR comment); a finished case just answers. */
async function joinExistingCase(client: Client, workflowId: string, member?: GroupMember): Promise<AlertAccepted> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') {
    try {
      await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString(), ...(member && { member }) });
    } catch (err) {
      // The case finished between describe and signal: nothing is left to record the duplicate on.
      // Anything else (Temporal unreachable) must reach the caller, which then keeps the alert.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { caseWorkflowId: workflowId, runId: description.runId, duplicate: true };
}

function refusal(status: AlertRefusal['status'], reason: AlertRefusal['reason'], error: string, details: AlertProblem[]): AlertRefusal {
  return { ok: false, status, reason, error, details };
}

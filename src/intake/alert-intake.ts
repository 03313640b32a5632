/**
 * From an authenticated alert body to its case: parse, check that a sender naming an existing SIR case
 * may adopt it, route to a playbook, start the case workflow or join the one its fingerprint already
 * has. POST /v1/alerts and the SQS intake both go through here, so an alert is accepted or refused the
 * same way whichever door it came through.
 *
 * Every accepted alert is counted on the case its answer names: a grouped alert whose group's case
 * has finished opens the group's next case (alert/group-window.ts), and a storm alert whose storm case
 * has finished the next storm case. Only an alert that would open a new case asks the case-rate
 * limiter, and not once this process knows the hour is full (alert-intake-memory.ts).
 *
 * Refusals (bad JSON, invalid alert, adoption not allowed, no playbook) are returned: they are about
 * the alert and its sender and will not change on a retry. Temporal errors are thrown: the caller
 * decides between 503 and keeping the SQS message for later (see isTemporalUnavailable).
 */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { DecisionKeys } from '../attestation/decision-keys';
import type { Alert } from '../domain/alert/alert';
import { parseAlert } from '../domain/alert/parse';
import { type GroupMember, STORM_CASES_PER_HOUR, alertTime, groupId, hourNumber, stormFingerprint } from '../domain/alert/group';
import type { AlertProblem } from '../domain/alert/issues';
import type { CasePlaybookInput, NewCaseSpec } from '../domain/case/playbook-input';
import { alertFingerprint } from '../domain/alert/fingerprint';
import { duplicateAlertSignal } from '../domain/contract/messages';
import { CASE_DESCRIPTION_MAX_LENGTH, CASE_TITLE_MAX_LENGTH, newCaseFromAlert } from '../domain/case/new-case-from-alert';
import { caseWorkflowId } from '../domain/contract/temporal-names';
import { closeGroupWindow, openGroupWindow } from '../temporal/alert-group-window-client';
import { type SlotVerdict, reserveCaseSlot } from '../temporal/case-rate-limiter-client';
import type { Playbook } from '../domain/playbook/playbook';
import { routeAlert } from '../domain/playbook/routing';
import { caseWorkflowOptions } from '../temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import type { AlertIntakeMemory } from './alert-intake-memory';
import type { AlertRefusalReason } from './intake-counters';

export interface AlertIntakeDeps {
  client: Client;
  playbooks: Playbook[];
  taskQueue: string;
  /** One per process, kept across alerts: what it learnt from Temporal (alert-intake-memory.ts). */
  memory: AlertIntakeMemory;
  /** PHASEGATE_DECISION_KEYS: a start that adopts a SIR case carries their attestation, which workers check. */
  decisionKeys?: DecisionKeys;
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

export type AlertIntakeResult =
  | {
      ok: true;
      accepted: AlertAccepted;
      playbook: string;
      /** The case-rate limiter's answer, when this alert asked it (for phasegate_case_limiter_requests_total). */
      limiter?: SlotVerdict;
    }
  | AlertRefusal;

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
 * Starts the case for an alert, or joins the case its fingerprint (or its group's window) already
 * has. Resolves only once Temporal has the alert: the workflow is started, or the running case was
 * signalled (a single alert's finished case is simply named). Throws what Temporal throws.
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
  const intake: Intake = { deps, playbook, alert, now, fingerprint: alertFingerprint(alert) };
  const accepted = alert.caseId
    ? // An alert that names its SIR case is about that case: it is never grouped nor limited.
      await acceptSingle(intake, { fingerprint: intake.fingerprint, playbook, severity: alert.severity, caseId: alert.caseId, ...(adoption.allowed && { adoption: { by: adoption.by, at: now.toISOString() } }) })
    : playbook.group
      ? await acceptGrouped(intake)
      : await acceptSingle(intake, { fingerprint: intake.fingerprint, playbook, severity: alert.severity, newCase: newCaseFromAlert(playbook, alert, now) });
  return { ok: true, accepted, playbook: playbook.name, ...(intake.limiter && { limiter: intake.limiter }) };
}

/** One alert on its way to a case. */
interface Intake {
  deps: AlertIntakeDeps;
  playbook: Playbook;
  alert: Alert;
  /** When phasegate received the alert: the limiter's hour and the storm case's. */
  now: Date;
  fingerprint: string;
  /** What the limiter answered, if it was asked. */
  limiter?: SlotVerdict;
}

/**
 * An alert without a group: its own case. A finished one is named, not started again (SPEC §3: the
 * same alert fingerprint never starts a second case).
 */
async function acceptSingle(intake: Intake, input: CasePlaybookInput): Promise<AlertAccepted> {
  const { playbook } = intake;
  const limited = playbook.maxNewCasesPerHour !== undefined && !input.caseId;
  const workflowId = caseWorkflowId(input.fingerprint);
  const outcome = await openOrJoin(intake.deps, input, undefined, limited ? () => mayOpenCase(intake, workflowId) : undefined);
  if (outcome.kind === 'limited') return joinStorm(intake, intake.fingerprint);
  return { caseWorkflowId: workflowId, runId: outcome.runId, duplicate: outcome.kind !== 'started' };
}

/** Group windows opened and closed in a row for one alert before giving up (each round means another intake raced it). */
const GROUP_ATTEMPTS = 5;

/**
 * An alert of a grouped playbook joins the case of its group's open window, or opens it. A case that
 * has finished closes its window with it: the alert then opens the group's next window and case.
 */
async function acceptGrouped(intake: Intake): Promise<AlertAccepted> {
  const { deps, playbook, alert, now } = intake;
  const spec = playbook.group!;
  const group = groupId(playbook.name, spec, alert);
  const member: GroupMember = { fingerprint: intake.fingerprint, severity: alert.severity, at: alertTime(alert, now).toISOString(), group };
  const newCase = newCaseFromAlert(playbook, alert, now);
  for (let attempt = 0; attempt < GROUP_ATTEMPTS; attempt++) {
    const window = await deps.memory.groupWindow(group, () =>
      openGroupWindow(deps.client, deps.taskQueue, { playbook: playbook.name, group, by: spec.by, windowMs: spec.windowMs }),
    );
    const input: CasePlaybookInput = {
      fingerprint: window.caseFingerprint,
      playbook,
      severity: alert.severity,
      newCase,
      group: { kind: 'group', first: member, window: { openedAt: window.openedAt.toISOString(), endsAt: window.endsAt.toISOString() } },
    };
    const workflowId = caseWorkflowId(window.caseFingerprint);
    const limited = playbook.maxNewCasesPerHour !== undefined;
    const outcome = await openOrJoin(deps, input, member, limited ? () => mayOpenCase(intake, workflowId) : undefined);
    if (outcome.kind === 'limited') return joinStorm(intake, group);
    if (outcome.kind !== 'finished') return { caseWorkflowId: workflowId, runId: outcome.runId, duplicate: outcome.kind === 'joined' };
    await closeGroupWindow(deps.client, window, `the group's case ${workflowId} has finished: its next alert opens a new window and case`);
    deps.memory.forgetGroupWindow(window);
  }
  throw new Error(`${group}: no open window with a running case after ${GROUP_ATTEMPTS} attempts`);
}

/**
 * Past the hour's limit: the alert joins the playbook's storm case for the hour. One that finished
 * within its hour is followed by the next (at most STORM_CASES_PER_HOUR); nothing is dropped below that.
 */
async function joinStorm(intake: Intake, group: string): Promise<AlertAccepted> {
  const { deps, playbook, alert, now } = intake;
  const member: GroupMember = { fingerprint: intake.fingerprint, severity: alert.severity, at: alertTime(alert, now).toISOString(), group };
  const hour = hourNumber(now);
  const spec = stormCase(newCaseFromAlert(playbook, alert, now), playbook);
  let generation = deps.memory.stormGeneration(playbook.name, hour);
  for (;;) {
    const fingerprint = stormFingerprint(playbook.name, now, generation);
    const input: CasePlaybookInput = { fingerprint, playbook, severity: alert.severity, newCase: spec, group: { kind: 'storm', first: member } };
    const outcome = await openOrJoin(deps, input, member);
    if (outcome.kind === 'limited') throw new Error('a storm case has no limit to reach');
    const last = generation >= STORM_CASES_PER_HOUR;
    if (outcome.kind !== 'finished' || last) {
      deps.memory.rememberStormGeneration(playbook.name, hour, generation);
      // Past STORM_CASES_PER_HOUR finished storm cases, the last one is named, as a finished single case is.
      return { caseWorkflowId: caseWorkflowId(fingerprint), runId: outcome.runId, duplicate: outcome.kind !== 'started', storm: true };
    }
    generation += 1;
  }
}

type CaseOutcome =
  /** This alert started the case. */
  | { kind: 'started'; runId: string }
  /** The case was running and has the alert (signalled). */
  | { kind: 'joined'; runId: string }
  /** The case exists and has finished: nothing recorded the alert. */
  | { kind: 'finished'; runId: string }
  /** The case does not exist and the playbook may not open one now. */
  | { kind: 'limited' };

/**
 * Starts the case, or signals the alert to it while it runs. `mayOpen` (a limited playbook) is asked
 * only when the case does not exist yet, so an alert that joins a case never takes a slot.
 */
async function openOrJoin(deps: AlertIntakeDeps, input: CasePlaybookInput, member: GroupMember | undefined, mayOpen?: () => Promise<boolean>): Promise<CaseOutcome> {
  const workflowId = caseWorkflowId(input.fingerprint);
  const known = deps.memory.runningCase(workflowId);
  if (known !== undefined) {
    if (await signalAlert(deps.client, workflowId, member)) return { kind: 'joined', runId: known };
    deps.memory.caseNotRunning(workflowId);
  }
  if (mayOpen) {
    const existing = await joinExistingCase(deps, workflowId, member);
    if (existing) return existing;
    if (!(await mayOpen())) return { kind: 'limited' };
  }
  try {
    // REJECT_DUPLICATE: a fingerprint (an alert's, a group window's, a storm's) opens one case, ever; later alerts join it.
    const attester = deps.decisionKeys && { namespace: deps.client.options.namespace, keys: deps.decisionKeys };
    const handle = await deps.client.workflow.start(casePlaybook, { ...caseWorkflowOptions(input, deps.taskQueue, attester), workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    deps.memory.caseRunning(workflowId, handle.firstExecutionRunId);
    return { kind: 'started', runId: handle.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  const existing = await joinExistingCase(deps, workflowId, member);
  if (!existing) throw new Error(`${workflowId} was started, yet Temporal does not find it`);
  return existing;
}

/**
 * Whether the playbook may open this case now (maxNewCasesPerHour). Once the limiter has said the hour
 * is full (a refusal, or granting its last slot), this process does not ask it again that hour (at
 * that limit).
 */
async function mayOpenCase(intake: Intake, workflowId: string): Promise<boolean> {
  const { deps, playbook, now } = intake;
  const limit = playbook.maxNewCasesPerHour!;
  const hour = hourNumber(now);
  if (deps.memory.hourFull(playbook.name, hour, limit)) return false;
  const answer = await reserveCaseSlot(deps.client, deps.taskQueue, playbook.name, limit, workflowId, now);
  intake.limiter = answer.verdict;
  if (answer.verdict === 'limit-reached' || answer.lastSlot) deps.memory.rememberFullHour(playbook.name, hour, limit);
  return answer.verdict !== 'limit-reached';
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

/**
 * The case as Temporal has it: undefined when it does not exist; joined when it runs (the duplicate,
 * or the joining member, is recorded on it: state and SIR comment); else finished.
 */
async function joinExistingCase(deps: AlertIntakeDeps, workflowId: string, member: GroupMember | undefined): Promise<CaseOutcome | undefined> {
  let description;
  try {
    description = await deps.client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (description.status.name === 'RUNNING' && (await signalAlert(deps.client, workflowId, member))) {
    deps.memory.caseRunning(workflowId, description.runId);
    return { kind: 'joined', runId: description.runId };
  }
  return { kind: 'finished', runId: description.runId };
}

/** Signals the alert to the running case; false when there is no running case to take it. */
async function signalAlert(client: Client, workflowId: string, member: GroupMember | undefined): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(duplicateAlertSignal, { receivedAt: new Date().toISOString(), ...(member && { member }) });
    return true;
  } catch (err) {
    // The case finished (or never ran). Anything else (Temporal unreachable) must reach the caller,
    // which then keeps the alert.
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

function refusal(status: AlertRefusal['status'], reason: AlertRefusal['reason'], error: string, details: AlertProblem[]): AlertRefusal {
  return { ok: false, status, reason, error, details };
}

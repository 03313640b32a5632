/**
 * A human gate before a phase change: wait for a decision from the step's approvers; on timeout
 * escalate to other approvers, or decide as the playbook says. Decisions themselves arrive through the
 * `decide` update or the `approve`/`reject` signals (see case-playbook.ts) and land in
 * `state.pendingApproval.decidedBy`; this module only waits and handles the clock.
 */
import { condition, metricMeter, patched } from '@temporalio/workflow';
import { describeApprovers } from '../../src/domain/case/rules';
import type { PendingApproval } from '../../src/domain/case/state';
import type { ApprovalSpec, ApproverRef } from '../../src/domain/playbook/playbook';
import { type CaseContextV4 as CaseContext, publish } from './case-context-v4';
import { commentOnCase, notifyEscalation } from './sir-calls-v4';
import type { CaseTarget } from '../../src/domain/case/status';
import type { DecisionKind, DecisionRecord } from '../../src/domain/case/decision';

export const TIMEOUT_ACTOR = 'phasegate-timeout';

const OPEN_ENDED_WAIT_MS = 10 * 365 * 24 * 3_600_000;

export interface GateOutcome {
  decision: DecisionKind;
  by: string;
}

export async function awaitApproval(
  ctx: CaseContext,
  approvalId: number,
  target: CaseTarget,
  spec: ApprovalSpec,
  requestedBy: string,
): Promise<GateOutcome> {
  const { state } = ctx;
  const pending: PendingApproval = {
    approvalId,
    target,
    approvers: [...spec.approvers],
    requestedAt: new Date().toISOString(),
    requestedBy,
    escalated: false,
  };
  state.pendingApproval = pending;
  state.phase = 'awaiting-approval';

  let decided = await waitForDecision(ctx, pending, spec.approvers, spec.timeoutMs);
  if (!decided && spec.onTimeout === 'escalate' && spec.escalation) {
    const escalation = spec.escalation;
    // The escalation round starts at the first deadline, not when this task ran or the comment posted.
    const escalatedAt = Date.parse(pending.deadline!);
    pending.approvers = [...escalation.approvers];
    pending.escalated = true;
    const body =
      `phasegate: approval #${approvalId} to move to "${target}" got no decision from ` +
      `${describeApprovers(spec.approvers)} within ${formatDuration(spec.timeoutMs!)}; escalated to ${describeApprovers(escalation.approvers)}.`;
    await commentOnCase(ctx, `approval-${approvalId}-escalated`, body, `CreateCaseComment: escalated to ${describeApprovers(escalation.approvers)}`);
    // Only cases started before playbooks lost the URL form carry one; the worker refuses to send there
    // (notifyEscalation), and the call stays so that their histories replay.
    if (escalation.notifyUrl) {
      await notifyEscalation(
        escalation.notifyUrl,
        { event: 'approval-escalated', caseId: state.caseId, workflowId: state.workflowId, target, approvers: escalation.approvers, approvalId },
        `Notify escalation to ${describeApprovers(escalation.approvers)}`,
      );
    }
    decided = await waitForDecision(ctx, pending, escalation.approvers, escalation.timeoutMs, escalatedAt);
    if (!decided) decideOnTimeout(ctx, pending, escalation.onTimeout);
  } else if (!decided) {
    decideOnTimeout(ctx, pending, spec.onTimeout === 'escalate' ? 'reject' : spec.onTimeout);
  }
  const outcome = { decision: pending.decidedBy!.decision, by: pending.decidedBy!.by };
  recordDecisionLatency(ctx, pending, outcome.by === TIMEOUT_ACTOR ? 'timeout' : 'human');
  return outcome;
}

/** Time from the approval request to its decision, for the people who tune timeouts and rosters. */
function recordDecisionLatency(ctx: CaseContext, pending: PendingApproval, decidedBy: 'human' | 'timeout'): void {
  metricMeter
    .createHistogram('phasegate_decision_latency', 'int', 'ms', 'Time from an approval request to its decision')
    .record(Date.now() - Date.parse(pending.requestedAt), {
      playbook: ctx.input.playbook.name,
      decision: pending.decidedBy!.decision,
      decided_by: decidedBy,
      escalated: pending.escalated,
    });
}

/** True when a decision arrived, false when the round's timeout ran out first. */
async function waitForDecision(
  ctx: CaseContext,
  pending: PendingApproval,
  approvers: readonly ApproverRef[],
  timeoutMs: number | undefined,
  roundStartedAt: number = Date.now(),
): Promise<boolean> {
  const who = describeApprovers(approvers);
  const isDecided = (): boolean => pending.decidedBy !== undefined;
  if (timeoutMs === undefined) {
    pending.deadline = undefined;
    publish(ctx, `Waiting for approval by ${who} to move case ${ctx.state.caseId} to "${pending.target}" (no deadline).`);
    if (ctx.lean || patched('summary-on-open-ended-approval')) {
      // Only a timer shows up with a summary in the Web UI's event list; this one is there for that,
      // and waits again should ten years ever pass.
      while (!(await condition(isDecided, OPEN_ENDED_WAIT_MS, { summary: `Waiting for approval by ${who} (no deadline)` })));
    } else {
      await condition(isDecided);
    }
    return true;
  }
  const deadline = roundStartedAt + timeoutMs;
  pending.deadline = new Date(deadline).toISOString();
  publish(
    ctx,
    `Waiting for approval by ${who} to move case ${ctx.state.caseId} to "${pending.target}"; ` +
      `deadline ${pending.deadline}${pending.escalated ? ' (escalated)' : ''}.`,
  );
  return condition(isDecided, Math.max(deadline - Date.now(), 1), { summary: `Waiting for approval by ${who}` });
}

function decideOnTimeout(ctx: CaseContext, pending: PendingApproval, action: 'approve' | 'reject'): void {
  const record: DecisionRecord = {
    approvalId: pending.approvalId,
    decision: action,
    by: TIMEOUT_ACTOR,
    at: new Date().toISOString(),
    phase: ctx.state.status ?? 'Submitted',
    target: pending.target,
    comment: `no decision before the deadline; the playbook says ${action} on timeout`,
    via: 'timeout',
  };
  ctx.state.decisions.push(record);
  pending.decidedBy = { decision: action, by: TIMEOUT_ACTOR };
}

export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];
  let rest = ms;
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || `${ms}ms`;
}

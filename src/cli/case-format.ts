import type { CaseState } from '../domain/case/state';
import type { DecisionAnswer, TransitionAnswer } from '../domain/contract/messages';
import type { CaseSummary } from '../temporal/case-commands';

/** A case as a responder reads it in a terminal. */
export function formatCaseState(state: CaseState): string {
  const lines = [
    `case ${state.caseId ?? '(not opened yet)'}  ·  workflow ${state.workflowId ?? '?'}  ·  playbook ${state.playbook}`,
    `status: ${state.status ?? '?'}  (${state.phase}${state.resolverType === 'AWS' ? ', AWS-supported' : ''}${state.closedOutsidePhasegate ? ', closed outside phasegate' : ''})`,
  ];
  const pending = state.pendingApproval;
  if (pending && !pending.decidedBy) {
    const quorum = (pending.minApprovers ?? 1) > 1 ? `, ${pending.approvedBy?.length ?? 0} of ${pending.minApprovers} approvals so far` : '';
    lines.push(
      `approval #${pending.approvalId} pending: move to "${pending.target}" by ${pending.approvers.join(', ')}${quorum}` +
        `${pending.deadline ? `, deadline ${pending.deadline}` : ''}${pending.escalated ? ' (escalated)' : ''}`,
    );
  }
  const move = state.move;
  if (move) {
    lines.push(`moving to "${move.target}" since ${move.since}${move.attempt && move.attempt > 1 ? `, SIR attempt ${move.attempt}` : ''}${move.lastError ? ` (last error: ${move.lastError})` : ''}`);
  }
  if (state.note) lines.push(`note: ${state.note}`);
  for (const t of state.transitions) {
    lines.push(`  ${t.at}  ${t.from} → ${t.to}  (${t.via}; asked by ${t.requestedBy}${t.approvedBy ? `, approved by ${t.approvedBy}` : ''})`);
  }
  // Changes made outside phasegate that the case found and adopted (issue 12).
  for (const d of state.drifts ?? []) {
    const reading = (r: { status?: string; resolverType?: string }) => `"${r.status ?? '?'}"${r.resolverType ? ` (${r.resolverType})` : ''}`;
    lines.push(`  ${d.at}  changed outside phasegate: ${reading(d.believed)} → ${reading(d.found)}  (found by ${d.source}${d.event ? `: ${d.event}` : ''})`);
  }
  for (const d of state.decisions) {
    lines.push(`  ${d.at}  ${d.by} ${d.decision === 'approve' ? 'approved' : 'rejected'} "${d.target}"${d.comment ? `: ${d.comment}` : ''}`);
  }
  return lines.join('\n');
}

const NEXT: Record<DecisionAnswer['next'], string> = {
  moving: 'the move is under way (`phasegate status` shows its progress)',
  closing: 'the case is being closed',
  staying: 'the case stays where it is',
  'waiting-for-approvals': 'waiting for more approvers',
};

/** Which gate a decision decided, and what happens now. */
export function formatDecision(answer: DecisionAnswer): string {
  const caseId = answer.state.caseId ?? answer.state.workflowId;
  const verb = answer.result === 'counted' ? `counted ${answer.by}'s approval of` : `${answer.result}`;
  const needed = answer.result === 'counted' ? `; ${answer.approvalsNeeded} more approval(s) needed` : '';
  return `${verb} approval #${answer.approvalId} (move case ${caseId} to "${answer.target}")${needed}: ${NEXT[answer.next]}.`;
}

export function formatTransition(answer: TransitionAnswer): string {
  const caseId = answer.state.caseId ?? answer.state.workflowId;
  const what =
    answer.result === 'awaiting-approval'
      ? `opened approval #${answer.approvalId} to move case ${caseId} to "${answer.to}"; an approver decides it`
      : `case ${caseId} is moving to "${answer.to}"`;
  return `${answer.duplicate ? '(already requested) ' : ''}${what}.`;
}

export function formatCaseList(cases: CaseSummary[]): string {
  if (cases.length === 0) return 'no cases';
  const rows = cases.map((c) => [c.caseId ?? '-', c.status ?? '-', c.awaitingApproval ? (c.approvalId !== undefined ? `#${c.approvalId}` : 'yes') : 'no', c.playbook ?? '-', c.workflowId]);
  const header = ['CASE', 'STATUS', 'APPROVAL', 'PLAYBOOK', 'WORKFLOW'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

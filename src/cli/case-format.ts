import type { CaseState } from '../domain/case-state';
import type { CaseSummary } from '../temporal/case-commands';

/** A case as a responder reads it in a terminal. */
export function formatCaseState(state: CaseState): string {
  const lines = [
    `case ${state.caseId ?? '(not opened yet)'}  ·  workflow ${state.workflowId ?? '?'}  ·  playbook ${state.playbook}`,
    `status: ${state.status ?? '?'}  (${state.phase}${state.resolverType === 'AWS' ? ', AWS-supported' : ''})`,
  ];
  const pending = state.pendingApproval;
  if (pending) {
    lines.push(
      `waiting for approval to move to "${pending.target}" by ${pending.approvers.join(', ')}` +
        `${pending.deadline ? `, deadline ${pending.deadline}` : ''}${pending.escalated ? ' (escalated)' : ''}`,
    );
  }
  if (state.note) lines.push(`note: ${state.note}`);
  for (const t of state.transitions) {
    lines.push(`  ${t.at}  ${t.from} → ${t.to}  (${t.via}; asked by ${t.requestedBy}${t.approvedBy ? `, approved by ${t.approvedBy}` : ''})`);
  }
  for (const d of state.decisions) {
    lines.push(`  ${d.at}  ${d.by} ${d.decision === 'approve' ? 'approved' : 'rejected'} "${d.target}"${d.comment ? `: ${d.comment}` : ''}`);
  }
  return lines.join('\n');
}

export function formatCaseList(cases: CaseSummary[]): string {
  if (cases.length === 0) return 'no cases';
  const rows = cases.map((c) => [c.caseId ?? '-', c.status ?? '-', c.awaitingApproval ? 'yes' : 'no', c.playbook ?? '-', c.workflowId]);
  const header = ['CASE', 'STATUS', 'APPROVAL', 'PLAYBOOK', 'WORKFLOW'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

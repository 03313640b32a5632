/**
 * What every part of a running case shares: its input, its queryable state, and the one place that
 * makes the Web UI reflect that state (search attributes and current details).
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { CasePlaybookInput } from '../src/domain/case-playbook-input';
import type { CaseState } from '../src/domain/case-state';
import { AlertSeverity, AwaitingApproval, PlaybookName, SirCaseId, SirCaseStatus } from '../src/domain/search-attributes';

export interface CaseContext {
  readonly input: CasePlaybookInput;
  readonly state: CaseState;
}

/**
 * Upserts only non-personal values (case id, status, playbook, severity, a flag): search attributes
 * are stored unencrypted by Temporal.
 */
export function publish(ctx: CaseContext, details: string): void {
  const { state, input } = ctx;
  upsertSearchAttributes([
    { key: PlaybookName, value: input.playbook.name },
    { key: AwaitingApproval, value: state.pendingApproval !== undefined },
    ...(input.severity !== undefined ? [{ key: AlertSeverity, value: input.severity }] : []),
    ...(state.caseId ? [{ key: SirCaseId, value: state.caseId }] : []),
    ...(state.status ? [{ key: SirCaseStatus, value: state.status }] : []),
  ]);
  state.note = details;
  setCurrentDetails(details);
}

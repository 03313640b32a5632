/**
 * What the frozen v4 loop shares between its parts: the case's input, its queryable state, and how it
 * makes the Web UI reflect that state. A copy of workflows/case-context.ts as these cases used it
 * (never the local-sir-calls path, which they do not take), so a change to the live loop cannot change
 * the commands of a v1–v4 case.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { AlertSeverity, AwaitingApproval, PlaybookName, type SearchAttributePair, SirCaseId, SirCaseStatus } from '../../src/domain/contract/search-attributes';

export interface CaseContextV4 {
  readonly input: CasePlaybookInput;
  readonly state: CaseState;
  /**
   * Cases started since the `lean-steps` patch: they upsert only the search attributes that changed,
   * run the start comment alongside the first step, and wait at open-ended gates on a timer without
   * asking for the older `summary-on-open-ended-approval` patch. Older cases keep doing what their
   * histories say.
   */
  readonly lean: boolean;
  /** Search attribute values as last sent (lean cases only). */
  readonly published: Map<string, unknown>;
}

/** The search attributes a case already carries (from its start options or the run it continued). */
export function publishedAtStart(): Map<string, unknown> {
  const published = new Map<string, unknown>();
  for (const { key, value } of workflowInfo().typedSearchAttributes.getAll()) published.set(key.name, value);
  return published;
}

/**
 * Upserts only non-personal values (case id, status, playbook, severity, a flag): search attributes
 * are stored unencrypted by Temporal.
 */
export function publish(ctx: CaseContextV4, details: string): void {
  const { state, input, lean, published } = ctx;
  const values: SearchAttributePair[] = [
    { key: PlaybookName, value: input.playbook.name },
    { key: AwaitingApproval, value: state.pendingApproval !== undefined },
    ...(input.severity !== undefined ? [{ key: AlertSeverity, value: input.severity }] : []),
    ...(state.caseId ? [{ key: SirCaseId, value: state.caseId }] : []),
    ...(state.status ? [{ key: SirCaseStatus, value: state.status }] : []),
  ];
  state.note = details;
  setCurrentDetails(details);
  // Every upsert is a history event and a visibility write; an unchanged one buys nothing.
  const changed = lean ? values.filter(({ key, value }) => published.get(key.name) !== value) : values;
  if (changed.length === 0) return;
  upsertSearchAttributes(changed);
  for (const { key, value } of changed) published.set(key.name, value);
}

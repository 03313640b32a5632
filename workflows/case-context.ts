/**
 * What every part of a running case shares: its input, its queryable state, and the one place that
 * makes the Web UI reflect that state (search attributes and current details).
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AddCaseCommentRequest } from '../activities';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import type { CaseState } from '../src/domain/case/state';
import { AlertSeverity, AwaitingApproval, PhasegateCodeVersion, PlaybookName, type SearchAttributePair, SirCaseId, SirCaseStatus } from '../src/domain/contract/search-attributes';

export interface CaseContext {
  readonly input: CasePlaybookInput;
  readonly state: CaseState;
  /**
   * Search attribute values as last sent: a case upserts only those that changed (every case the live
   * loop runs is past the `lean-steps` patch; the frozen loop in legacy/ keeps its own context).
   */
  readonly published: Map<string, unknown>;
  /**
   * Cases since the `read-before-write` patch: every move reads SIR first, SIR events and a slow timer
   * make a waiting case re-read its SIR case, changes made outside phasegate are adopted, and repeated
   * alerts are mentioned once per window.
   */
  readonly readBeforeWrite?: boolean;
  /**
   * Cases since the `local-sir-calls` patch: a SIR call is tried first as a local activity
   * (case-operations.ts), and search attribute changes wait in `unpublished` until the case is about
   * to wait (flushPublished), so a task that opens, moves and parks a case upserts once.
   */
  readonly localSirCalls?: boolean;
  /**
   * Cases since the `own-writes-only` patch (issue 18): a move that finds the case already at its target
   * counts it as its own write only when a try of it may really have written (case-operations.ts,
   * writeSirStatus); otherwise someone else moved the case, and it is adopted as drift.
   */
  readonly ownWritesOnly?: boolean;
  readonly unpublished?: Map<string, SearchAttributePair>;
  /** Best-effort comments tried locally that the main line has not joined yet (case-operations.ts). */
  readonly localComments?: LocalComment[];
  /**
   * Cases since the `slack-messages` patch: a channel's answer to a gate's first notice may be a
   * message phasegate can edit (a `slack-app` channel), kept on the pending approval and edited on
   * each later event of the gate (approval-messages.ts). Deliveries to such a channel run one after
   * the other, in `messageChains`, so an older edit never lands after a newer one.
   */
  readonly slackMessages?: boolean;
  readonly messageChains?: Map<string, Promise<void>>;
  /** `<approvalId>/<channel>` already told in this run: only a channel's first delivery may bring a message. */
  readonly toldChannels?: Set<string>;
  /** Cases since the `code-version` patch: the newest code path the run takes (search attribute PhasegateCodeVersion). */
  readonly codeVersion?: string;
}

/** The search attributes a case already carries (from its start options or the run it continued). */
export function publishedAtStart(): Map<string, unknown> {
  const published = new Map<string, unknown>();
  for (const { key, value } of workflowInfo().typedSearchAttributes.getAll()) published.set(key.name, value);
  return published;
}

/** The code path a run takes, sent with its first upsert (a run continued as new keeps its predecessor's value). */
export function publishCodeVersion(ctx: CaseContext): void {
  const { codeVersion, published, unpublished } = ctx;
  if (codeVersion === undefined || published.get(PhasegateCodeVersion.name) === codeVersion) return;
  unpublished?.set(PhasegateCodeVersion.name, { key: PhasegateCodeVersion, value: codeVersion });
}

/**
 * Upserts only non-personal values (case id, status, playbook, severity, a flag): search attributes
 * are stored unencrypted by Temporal.
 */
export function publish(ctx: CaseContext, details: string): void {
  const { state, input, published } = ctx;
  const values: SearchAttributePair[] = [
    { key: PlaybookName, value: input.playbook.name },
    { key: AwaitingApproval, value: state.pendingApproval !== undefined },
    ...(input.severity !== undefined ? [{ key: AlertSeverity, value: input.severity }] : []),
    ...(state.caseId ? [{ key: SirCaseId, value: state.caseId }] : []),
    ...(state.status ? [{ key: SirCaseStatus, value: state.status }] : []),
  ];
  state.note = details;
  setCurrentDetails(details);
  const { unpublished } = ctx;
  if (unpublished) {
    // A value that changes and changes back before the case waits is never sent.
    for (const pair of values) {
      if (published.get(pair.key.name) === pair.value) unpublished.delete(pair.key.name);
      else unpublished.set(pair.key.name, pair);
    }
    return;
  }
  // Every upsert is a history event and a visibility write; an unchanged one buys nothing.
  const changed = values.filter(({ key, value }) => published.get(key.name) !== value);
  upsert(published, changed);
}

/**
 * Sends the search attribute changes held back since the last wait, as one upsert. Called wherever
 * the case may wait on something other than a local activity (a timer, a condition, a queued
 * activity, the end of the run), so the Web UI never shows a case older than what it waits on.
 */
export function flushPublished(ctx: CaseContext): void {
  const { unpublished, published } = ctx;
  if (!unpublished || unpublished.size === 0) return;
  const changed = [...unpublished.values()];
  unpublished.clear();
  upsert(published, changed);
}

function upsert(published: Map<string, unknown>, changed: SearchAttributePair[]): void {
  if (changed.length === 0) return;
  upsertSearchAttributes(changed);
  for (const { key, value } of changed) published.set(key.name, value);
}

/** A best-effort comment tried as a local activity, until the main line joins it. */
export interface LocalComment {
  request: AddCaseCommentRequest;
  summary: string;
  attempt: Promise<void>;
  failure?: unknown;
}


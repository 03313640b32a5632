/**
 * Where a case waits, and what it does meanwhile: continue as new once its history is long (carrying
 * all state), re-read SIR after an event or on the slow timer, and mention counted duplicate alerts.
 */
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import type { SirReading } from '../src/domain/case/state';
import { duplicatesDueAt, flushDuplicates } from '../src/domain/case/duplicate-window';
import { formatDuration } from '../src/domain/playbook/duration';
import { driftsFrom } from '../src/domain/case/sir-drift';
import { flushPublished } from './case-context';
import { commentBestEffort, joinLocalComments, readSirCase } from './case-operations';
import { adoptDrift } from './case-moves';
import type { CasePlaybookWorkflow, CaseRun } from './case-run';

/** Every wait of the case: it continues as new here when its history is long, carrying all state. */
export async function caseWait(run: CaseRun, done: () => boolean, timeoutMs: number, summary: string): Promise<boolean> {
  const { input, state } = run;
  const due = (): boolean => shouldContinueAsNew(input) && run.backgroundDone() && allHandlersFinished();
  if (!run.readBeforeWrite) {
    await condition(() => done() || due(), timeoutMs, { summary });
    if (done()) return true;
    if (due()) await continueAsNew<CasePlaybookWorkflow>({ ...input, carried: state });
    return false;
  }
  // Meanwhile: re-read SIR after an event or on the slow timer, and mention counted duplicate alerts.
  const until = Date.now() + timeoutMs;
  for (;;) {
    state.nextSirCheckAt ??= new Date(Date.now() + run.recheckEveryMs).toISOString();
    const wake = Math.min(until, Date.parse(state.nextSirCheckAt), duplicatesDueAt(state) ?? Infinity);
    await joinLocalComments(run, run.background);
    flushPublished(run);
    await condition(() => done() || due() || state.sirEventPending !== undefined, Math.max(wake - Date.now(), 1), { summary });
    if (done()) return true;
    if (due()) await continueAsNew<CasePlaybookWorkflow>({ ...input, carried: state });
    const now = Date.now();
    const mention = flushDuplicates(state, now);
    if (mention) run.background(commentBestEffort(run, mention.key, mention.body, mention.summary));
    if (state.sirEventPending !== undefined || now >= Date.parse(state.nextSirCheckAt)) {
      const changed = await recheckSir(run);
      if (done()) return true;
      if (changed) return false;
    }
    if (Date.now() >= until) return false;
  }
}

/** Re-reads the SIR case; true when it had changed outside phasegate (and was adopted). */
async function recheckSir(run: CaseRun): Promise<boolean> {
  const { state } = run;
  const event = state.sirEventPending;
  state.sirEventPending = undefined;
  const why = event ? `re-read after ${event}` : `re-read every ${formatDuration(run.recheckEveryMs)}`;
  const found = await readSirCase(run, `GetCase ${state.caseId}: ${why}`);
  const now = Date.now();
  state.nextSirCheckAt = new Date(now + run.recheckEveryMs).toISOString();
  if (!found) return false;
  state.sirReadAt = new Date(now).toISOString();
  const reading: SirReading = { ...(found.caseStatus && { status: found.caseStatus }), ...(found.resolverType && { resolverType: found.resolverType }) };
  if (!driftsFrom(state, reading)) return false;
  adoptDrift(run, reading, event ? 'event' : 'recheck', { ...(event && { event }) });
  return true;
}

/** Main line: joins the comments tried locally, then waits until everything beside the playbook is done. */
export async function settleBackground(run: CaseRun): Promise<void> {
  await joinLocalComments(run, run.background);
  flushPublished(run);
  await condition(() => run.backgroundDone() && allHandlersFinished());
}

export function shouldContinueAsNew(input: CasePlaybookInput): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || (input.continueAsNewAfterEvents !== undefined && info.historyLength >= input.continueAsNewAfterEvents);
}

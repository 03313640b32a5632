/**
 * One run of casePlaybook, as every room of it sees it: the case context (input, state, what the Web
 * UI shows), the patches this case runs under, the work running beside the playbook, and the wait.
 * Built once per run by casePlaybook; handlers, waits, moves and the loop take it as their argument.
 */
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import type { CaseState } from '../src/domain/case/state';
import { type Playbook, SIR_RECHECK_DEFAULT_MS } from '../src/domain/playbook/playbook';
import type { CaseWait } from './approval-gate';
import { type CaseContext, publishedAtStart } from './case-context';
import { caseWait } from './case-waits';

/** The patches a run asked for (or carried over), newest first; see casePlaybook for where each is asked. */
export interface CasePatches {
  verifiedStart: boolean;
  adoptFromStatus: boolean;
  slackMessages: boolean;
  decisionOutcomes: boolean;
  ownWritesOnly: boolean;
  proofInHistory: boolean;
  localSirCalls: boolean;
  readBeforeWrite: boolean;
}

export interface CaseRun extends CaseContext {
  readonly playbook: Playbook;
  readonly patches: CasePatches;
  readonly readBeforeWrite: boolean;
  readonly recheckEveryMs: number;
  /** Comments and notifications run beside the playbook and never fail it; joined before the run ends. */
  readonly background: (work: Promise<void>) => void;
  /** Nothing runs beside the playbook, and no comment tried locally waits to be joined. */
  readonly backgroundDone: () => boolean;
  /** Every wait of the case (case-waits.ts). */
  readonly wait: CaseWait;
}

export function caseRun(input: CasePlaybookInput, state: CaseState, patches: CasePatches): CaseRun {
  const { localSirCalls, ownWritesOnly, slackMessages, readBeforeWrite } = patches;
  const running = new Set<Promise<void>>();
  const run: CaseRun = {
    input,
    state,
    lean: true,
    published: publishedAtStart(),
    readBeforeWrite,
    ...(localSirCalls && { localSirCalls, unpublished: new Map(), localComments: [] }),
    ...(ownWritesOnly && { ownWritesOnly }),
    ...(slackMessages && { slackMessages, messageChains: new Map(), toldChannels: new Set<string>() }),
    playbook: input.playbook,
    patches,
    recheckEveryMs: input.playbook.sirRecheckEveryMs ?? SIR_RECHECK_DEFAULT_MS,
    background: (work) => {
      const tracked = work.finally(() => running.delete(tracked));
      running.add(tracked);
    },
    // Comments tried locally are joined by the main line before it waits, so a waiting case has none.
    backgroundDone: () => running.size === 0 && (run.localComments?.length ?? 0) === 0,
    wait: (done, timeoutMs, summary) => caseWait(run, done, timeoutMs, summary),
  };
  return run;
}

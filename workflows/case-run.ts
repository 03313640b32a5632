/**
 * One run of casePlaybook, as every room of it sees it: the case context (input, state, what the Web
 * UI shows), the patches this case runs under, the work running beside the playbook, and the wait.
 * Built once per run by casePlaybook; handlers, waits, moves and the loop take it as their argument.
 * Types only, so every room may import it.
 */
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import type { DecisionRecord } from '../src/domain/case/decision';
import type { CaseState, TransitionRecord } from '../src/domain/case/state';
import type { Playbook } from '../src/domain/playbook/playbook';
import type { CaseWait } from './approval-gate';
import type { CaseContext } from './case-context';

/** The patches a run asked for (or carried over), newest first; see casePlaybook for where each is asked. */
export interface CasePatches {
  codeVersion: boolean;
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

export interface CaseOutcome {
  caseId: string;
  status: CaseState['status'];
  phase: CaseState['phase'];
  transitions: TransitionRecord[];
  decisions: DecisionRecord[];
  /** The case was found Closed in SIR (cases since `read-before-write`). */
  closedOutsidePhasegate?: boolean;
}

/** casePlaybook's signature, for continueAsNew. */
export type CasePlaybookWorkflow = (input: CasePlaybookInput) => Promise<CaseOutcome>;

/**
 * The answers of the `decide` and `transition` updates. An update is answered with the case state at
 * the next point where the playbook waits or picks its next step, not wherever its loop happens to
 * be when the handler resumes; otherwise the answer would depend on timing (a next gate already
 * open, or a continue-as-new that blocked first).
 */
import { condition } from '@temporalio/workflow';
import type { CaseState } from '../../src/domain/case/state';

export class UpdateReplies {
  // Only updates wait for an answer (signals get none), so only their keys are kept.
  private readonly awaited = new Set<string>();
  private readonly ready = new Map<string, CaseState>();
  private due: string[] = [];

  /** In an update handler: resolves with the state taken by the `send` after `answerLater(key)`. */
  async awaitReply(key: string): Promise<CaseState> {
    this.awaited.add(key);
    await condition(() => this.ready.has(key));
    const answer = this.ready.get(key)!;
    this.ready.delete(key);
    this.awaited.delete(key);
    return answer;
  }

  /** The work `key` asked for is done; it is answered at the next `send`. */
  answerLater(key: string): void {
    if (this.awaited.has(key)) this.due.push(key);
  }

  /** The playbook has come to rest: answer everything done since the last send with this state. */
  send(state: CaseState): void {
    if (this.due.length === 0) return;
    const snapshot = JSON.parse(JSON.stringify(state)) as CaseState;
    for (const key of this.due) this.ready.set(key, snapshot);
    this.due = [];
  }
}

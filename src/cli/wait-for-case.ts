/** `--wait`: follow a case through the API until it comes to rest, for people and scripts alike. */
import type { CaseState } from '../domain/case/state';
import type { PhasegateApi } from './api-client';

const WAIT_LIMIT_MS = 120_000;

export async function waitForCase(api: PhasegateApi, ref: string, done: (state: CaseState) => boolean): Promise<CaseState> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let last: CaseState | undefined;
  for (;;) {
    last = await api.caseState(ref).catch((err: unknown) => {
      // A case that was just started may not be visible for a moment.
      if ((err as { status?: number }).status === 404 && Date.now() < deadline) return undefined;
      throw err;
    });
    if (last && done(last)) return last;
    if (Date.now() > deadline) {
      const where = last ? `it is ${last.phase}${last.move ? `, moving to "${last.move.target}"${last.move.lastError ? ` (last SIR error: ${last.move.lastError})` : ''}` : ''}` : 'it was not found';
      throw new Error(`gave up waiting after ${WAIT_LIMIT_MS / 1000} s: ${where}; \`phasegate status ${ref}\` shows more`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** At rest: no move under way or queued, no decided gate still to be acted on. */
export function atRest(state: CaseState): boolean {
  return !state.move && (state.queue?.length ?? 0) === 0 && !state.pendingApproval?.decidedBy && state.phase !== 'running' && state.phase !== 'opening';
}

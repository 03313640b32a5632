/**
 * Load shapes shared by the benches and drills: an open-loop steady rate (requests leave on schedule
 * whether or not earlier ones were answered, so a slow server cannot hide its queue), and the joins
 * between what the bench sent and what the sandbox saw.
 */
import { createCaseClientToken } from '../../src/domain/case/playbook-input';
import { caseWorkflowId } from '../../src/domain/contract/temporal-names';
import { type AlertPoster, type BenchAlert, type PostResult } from './alerts';
import type { SandboxTap } from './sandbox-tap';
import { sleep } from './report';

export interface Posted {
  alert: BenchAlert;
  result?: PostResult;
  error?: string;
}

/** Posts `makeAlert(i)` at `rate` per second for `seconds`, at most `maxInFlight` unanswered. */
export async function postAtRate(
  poster: AlertPoster,
  rate: number,
  seconds: number,
  makeAlert: (i: number) => BenchAlert,
  maxInFlight = 2_000,
): Promise<{ posted: Posted[]; skipped: number; elapsedMs: number }> {
  const total = Math.round(rate * seconds);
  const posted: Posted[] = [];
  const pending = new Set<Promise<void>>();
  let skipped = 0;
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    if (pending.size >= maxInFlight) {
      skipped++;
      continue;
    }
    const entry: Posted = { alert: makeAlert(i) };
    posted.push(entry);
    const p = poster
      .post(entry.alert.raw)
      .then((result) => void (entry.result = result))
      .catch((err: unknown) => void (entry.error = (err as Error).message))
      .finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  return { posted, skipped, elapsedMs: Date.now() - start };
}

/** First arrival at the sandbox of an UpdateCaseStatus (any outcome) per workflow id. */
export function firstUpdateByWorkflow(tap: SandboxTap, status?: string): Map<string, number> {
  const byCase = tap.workflowIdsByCase();
  const first = new Map<string, number>();
  for (const e of tap.entries) {
    if (e.operation !== 'UpdateCaseStatus' || !e.caseId) continue;
    if (status !== undefined && e.caseStatus !== status) continue;
    const workflowId = byCase.get(e.caseId);
    if (workflowId && !first.has(workflowId)) first.set(workflowId, e.at);
  }
  return first;
}

/** When the sandbox first received CreateCase for each workflow (its clientToken names the fingerprint). */
export function createCaseByWorkflow(tap: SandboxTap): Map<string, number> {
  const first = new Map<string, number>();
  for (const e of tap.entries) {
    if (e.operation !== 'CreateCase' || !e.clientToken?.startsWith(CREATE_TOKEN_PREFIX)) continue;
    const workflowId = caseWorkflowId(e.clientToken.slice(CREATE_TOKEN_PREFIX.length));
    if (!first.has(workflowId)) first.set(workflowId, e.at);
  }
  return first;
}

const CREATE_TOKEN_PREFIX = createCaseClientToken('');

/** Workflow ids whose case the sandbox has moved to `status` (a successful UpdateCaseStatus). */
export function casesReaching(tap: SandboxTap, status: string): Set<string> {
  const reached = new Set<string>();
  for (const e of tap.entries) {
    if (e.operation === 'UpdateCaseStatus' && e.caseStatus === status && e.statusCode < 300 && e.caseId) reached.add(e.caseId);
  }
  return reached;
}

/** Counts sandbox calls that reached `status` as they arrive (cheap to poll in a wait loop). */
export function countReaching(tap: SandboxTap, status: string): { readonly count: number; stop(): void } {
  const seen = new Set<string>();
  for (const id of casesReaching(tap, status)) seen.add(id);
  const stop = tap.onCall((e) => {
    if (e.operation === 'UpdateCaseStatus' && e.caseStatus === status && e.statusCode < 300 && e.caseId) seen.add(e.caseId);
  });
  return {
    get count() {
      return seen.size;
    },
    stop,
  };
}

export const DETECTION = 'Detection and Analysis';
export const CONTAINMENT = 'Containment, Eradication and Recovery';

/**
 * The bench's view of the SIR sandbox, which runs inside the bench process: every answered call is
 * copied into an unbounded, compact list (the sandbox's own log keeps the last 10,000), and faults can
 * hit a percentage of calls or the cases of chosen alerts, which the sandbox's count-based faults
 * cannot express.
 */
import type { CallLogEntry, FaultInjector, SirSandbox } from '../../src/sandbox';

export interface TapEntry {
  seq: number;
  /** Wall-clock ms when the request arrived at the sandbox. */
  at: number;
  operation: string;
  caseId?: string;
  statusCode: number;
  errorType?: string;
  /** UpdateCaseStatus: the status asked for. */
  caseStatus?: string;
  /** CreateCaseComment: its clientToken (`<workflowId>/<key>`); CreateCase: `phasegate:<fingerprint>`. */
  clientToken?: string;
}

export interface PercentFaults {
  /** Share of calls answered ThrottlingException (0-1). */
  throttle?: number;
  /** Share of calls answered InternalServerException (0-1). */
  internal?: number;
  /** Retry-After seconds on injected throttles and 500s. */
  retryAfterSeconds?: number;
  /** UpdateCaseStatus on cases whose title contains this marker gets ConflictException. */
  conflictTitleMarker?: string;
  random?: () => number;
}

type Take = FaultInjector['take'];

export class SandboxTap {
  readonly entries: TapEntry[] = [];
  private readonly listeners = new Set<(entry: TapEntry) => void>();
  private percent: PercentFaults = {};
  private readonly caseTitles = new Map<string, string>();

  constructor(readonly sandbox: SirSandbox) {
    const calls = sandbox.calls;
    const record = calls.record.bind(calls);
    calls.record = (entry: CallLogEntry): void => {
      record(entry);
      const tap = compact(entry);
      this.entries.push(tap);
      for (const listener of this.listeners) listener(tap);
    };
    const faults = sandbox.faults;
    const take: Take = faults.take.bind(faults);
    faults.take = (call) => {
      const plan = take(call);
      if (plan.failure) return plan;
      const p = this.percent;
      const random = p.random ?? Math.random;
      if (p.conflictTitleMarker && call.operation === 'UpdateCaseStatus' && call.caseId && this.titleOf(call.caseId).includes(p.conflictTitleMarker)) {
        return { ...plan, failure: { kind: 'conflict' } };
      }
      const r = random();
      if (p.throttle && r < p.throttle) return { ...plan, failure: { kind: 'throttle', count: 1, retryAfterSeconds: p.retryAfterSeconds } };
      if (p.internal && r < (p.throttle ?? 0) + p.internal) return { ...plan, failure: { kind: 'internal', count: 1, retryAfterSeconds: p.retryAfterSeconds } };
      return plan;
    };
  }

  setFaults(faults: PercentFaults): void {
    this.percent = faults;
  }

  onCall(listener: (entry: TapEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private titleOf(caseId: string): string {
    let title = this.caseTitles.get(caseId);
    if (title === undefined) {
      title = this.sandbox.getCase(caseId)?.title ?? '';
      this.caseTitles.set(caseId, title);
    }
    return title;
  }

  /** caseId → workflow id, from the "playbook started" comment every new case gets first. */
  workflowIdsByCase(): Map<string, string> {
    const map = new Map<string, string>();
    for (const e of this.entries) {
      if (e.operation === 'CreateCaseComment' && e.caseId && e.clientToken && e.statusCode < 300) {
        const slash = e.clientToken.lastIndexOf('/');
        if (slash > 0) map.set(e.caseId, e.clientToken.slice(0, slash));
      }
    }
    return map;
  }

  /** Successful status changes per case and status: more than one for a pair means applied twice. */
  appliedStatuses(): Map<string, number> {
    const applied = new Map<string, number>();
    for (const e of this.entries) {
      if (e.statusCode >= 300 || !e.caseId) continue;
      const key = e.operation === 'UpdateCaseStatus' ? `${e.caseId} → ${e.caseStatus}` : e.operation === 'CloseCase' ? `${e.caseId} → Closed` : undefined;
      if (key) applied.set(key, (applied.get(key) ?? 0) + 1);
    }
    return applied;
  }

  countBy(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.entries) {
      const key = `${e.operation} ${e.statusCode}${e.errorType ? ` ${e.errorType}` : ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
}

function compact(entry: CallLogEntry): TapEntry {
  const body = (entry.requestBody ?? {}) as { caseStatus?: unknown; clientToken?: unknown };
  return {
    seq: entry.seq,
    at: entry.at,
    operation: entry.operation,
    ...(entry.caseId !== undefined && { caseId: entry.caseId }),
    statusCode: entry.statusCode,
    ...(entry.errorType !== undefined && { errorType: entry.errorType }),
    ...(entry.operation === 'UpdateCaseStatus' && typeof body.caseStatus === 'string' && { caseStatus: body.caseStatus }),
    ...((entry.operation === 'CreateCaseComment' || entry.operation === 'CreateCase') && typeof body.clientToken === 'string' && { clientToken: body.clientToken }),
  };
}

/**
 * Every SIR request the sandbox answered, refused ones included: tests assert on what the client
 * actually sent and got (how many attempts, how far apart, which clientToken), which is the only
 * way to check retry behaviour from outside the client.
 *
 * Bounded, because `phasegate sandbox` may run for days; the oldest entries go first.
 */
import type { SirOperation } from '../sir/shapes';

export interface CallLogEntry {
  /** Arrival order, unique for the sandbox's lifetime (not reset by `clear`). */
  seq: number;
  /** Milliseconds since the epoch when the request arrived. */
  at: number;
  operation: SirOperation | 'Unknown';
  caseId?: string;
  statusCode: number;
  /** The `x-amzn-ErrorType` of the answer; absent on success. */
  errorType?: string;
  requestId: string;
  /** The parsed JSON body, the raw text when it was not JSON, absent when empty. */
  requestBody?: unknown;
  /** The access key the request claimed, verified or not. */
  accessKeyId?: string;
}

export interface CallLogFilter {
  operation?: SirOperation | 'Unknown';
  caseId?: string;
}

export const DEFAULT_CALL_LOG_CAPACITY = 10_000;

export class CallLog {
  private entries: CallLogEntry[] = [];
  private lastSeq = 0;

  constructor(private readonly capacity = DEFAULT_CALL_LOG_CAPACITY) {}

  /** Reserves the sequence number of a request as it arrives; the entry is added when it is answered. */
  nextSeq(): number {
    return ++this.lastSeq;
  }

  record(entry: CallLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Matching entries in arrival order (a slow call answered late still sorts where it arrived). */
  list(filter: CallLogFilter = {}): CallLogEntry[] {
    return this.entries
      .filter((e) => (filter.operation === undefined || e.operation === filter.operation) && (filter.caseId === undefined || e.caseId === filter.caseId))
      .sort((a, b) => a.seq - b.seq)
      .map((e) => structuredClone(e));
  }

  clear(): void {
    this.entries = [];
  }
}

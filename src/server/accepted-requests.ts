/**
 * Signed requests this server already accepted, so that a replay of one (a captured request sent again
 * within the signature's 5 minutes, or a sender's over-eager retry) is answered with the first answer
 * instead of sending the case another signal and SIR another comment (issue 12).
 *
 * A request is named by its signature's timestamp and the SHA-256 of its body: a valid signature binds
 * the two to a webhook secret, so the same pair is the same signed request. Entries live until the
 * signature expires (then the signature check refuses the replay by itself). The cache is bounded
 * (oldest entries go first when it is full) and lives in this process only: a replay that reaches
 * another server instance, or this one after a restart or after eviction, gets a new signal, which
 * joins the case as a duplicate as before. That is acceptable because every effect of a duplicate is
 * idempotent or coalesced; the cache bounds the churn, it is not what keeps cases correct.
 *
 * Two identical requests in flight at once: the second waits for the first's answer, and runs itself
 * only when the first was not accepted. One copy arriving after the answer may count as a repeat of
 * the alert (replayOf's `oneRepeat`).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { SIGNATURE_TOLERANCE_SECONDS } from './webhook-signature';

export const ACCEPTED_REQUESTS_KEPT = 10_000;

interface Entry {
  expiresAtMs: number;
  /** Settles with the accepted answer, or undefined when the first request was not accepted. */
  answer: Promise<object | undefined>;
  settle?: (answer: object | undefined) => void;
  /** A copy that arrived after the answer was taken as a repeat of the alert (see replayOf). */
  repeatTaken?: boolean;
}

export class AcceptedRequests {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = ACCEPTED_REQUESTS_KEPT,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * For a request whose signature was verified: the answer it got the first time, or undefined when it
   * is new (it is then claimed until `response` ends, so a concurrent replay waits for it).
   */
  async replayOf(signatureHeader: string, rawBody: Buffer, response: ServerResponse, options: { oneRepeat?: boolean } = {}): Promise<object | undefined> {
    const key = requestKey(signatureHeader, rawBody);
    if (key === undefined) return undefined;
    this.sweep();
    const earlier = this.entries.get(key.id);
    if (earlier) {
      // A signature counts seconds, so a sender that sends the same alert twice within one second sends
      // the very same request: nothing tells that resend from a replay. With `oneRepeat` (alerts), the
      // first copy to arrive after the answer is taken as a repeat of the alert (counted on its case, as
      // issue 21 expects of a resend); later copies, and a copy that waited on the first while it ran (an
      // over-eager retry), get the first answer. A captured request replayed adds one count at most.
      const answeredAlready = earlier.settle === undefined;
      const answer = await earlier.answer;
      if (answer && options.oneRepeat && answeredAlready && !earlier.repeatTaken) {
        earlier.repeatTaken = true;
        return undefined;
      }
      if (answer) return answer;
    }
    let settle!: (answer: object | undefined) => void;
    const entry: Entry = { expiresAtMs: (key.timestamp + SIGNATURE_TOLERANCE_SECONDS) * 1000, answer: new Promise((resolve) => (settle = resolve)) };
    entry.settle = settle;
    this.entries.set(key.id, entry);
    // A request that ends without being accepted (refused, failed, client gone) releases its claim.
    const release = (): void => {
      if (!entry.settle) return;
      entry.settle(undefined);
      entry.settle = undefined;
      if (this.entries.get(key.id) === entry) this.entries.delete(key.id);
    };
    response.once('finish', release).once('close', release);
    return undefined;
  }

  /** Records the answer an accepted request got, for its replays. */
  remember(signatureHeader: string, rawBody: Buffer, answer: object): void {
    const key = requestKey(signatureHeader, rawBody);
    if (key === undefined) return;
    const entry = this.entries.get(key.id);
    if (entry?.settle) {
      entry.settle(answer);
      entry.settle = undefined;
      return;
    }
    // The repeat taken after the answer keeps the first answer for the copies that follow.
    if (entry) return;
    this.entries.set(key.id, { expiresAtMs: (key.timestamp + SIGNATURE_TOLERANCE_SECONDS) * 1000, answer: Promise.resolve(answer) });
    this.sweep();
  }

  /** Drops expired entries, and the oldest ones beyond the bound. */
  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (this.entries.size > this.maxEntries || entry.expiresAtMs <= now) {
        // A claim still in flight that must go: whoever waits on it runs the request itself (and once
        // the signature has expired, its check refuses every copy anyway).
        entry.settle?.(undefined);
        entry.settle = undefined;
        this.entries.delete(id);
      } else if (entry.expiresAtMs > now) break;
    }
  }
}

function requestKey(signatureHeader: string, rawBody: Buffer): { id: string; timestamp: number } | undefined {
  const t = /(?:^|,)\s*t=(\d{1,12})\s*(?:,|$)/.exec(signatureHeader)?.[1];
  if (t === undefined) return undefined;
  return { id: `${t}:${createHash('sha256').update(rawBody).digest('hex')}`, timestamp: Number(t) };
}

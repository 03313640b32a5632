/**
 * Scripted failures, so the retry and idempotency contract (SPEC §2) can be exercised against real
 * HTTP: throttling, server errors (including the nastiest one, a change applied whose answer is
 * lost), slow answers, conflicts, any modelled error, and what stands between a client and AWS
 * (gateway pages, throttling outside the model, reset connections, a clock that disagrees, expired
 * session tokens).
 *
 * Faults are armed in order and matched per call after the signature has been verified (an
 * unauthenticated caller never reaches the service, so it cannot meet its faults either). Each call
 * consumes at most one latency fault, at most one failing fault and at most one illegal-transition
 * override, so latency composes with a failure ("slow, then throttled") while two armed failures play
 * out on successive calls. A clock skew is not consumed: it is the sandbox's clock, and it stays off
 * (for every caller, since the signature check reads it) until the faults are cleared.
 */
import { z } from 'zod';
import { SIR_ERROR_NAMES, type SirErrorName } from '../domain/sir-api/errors';
import { SIR_OPERATIONS, type SirOperation } from '../sir/shapes';

export type Fault =
  | { kind: 'throttle'; count: number; retryAfterSeconds?: number }
  | { kind: 'internal'; count: number; retryAfterSeconds?: number; afterApply?: boolean }
  | { kind: 'latency'; ms: number; count?: number }
  | { kind: 'conflict'; count?: number; caseIds?: string[] }
  | { kind: 'error'; name: SirErrorName; count: number }
  /**
   * An answer from something in front of the service (a load balancer, a WAF, a proxy) rather than
   * the service: any status, an HTML page by default, no x-amzn-RequestId, and an error type only
   * when `errorType` names one (sent in x-amzn-ErrorType and, with `body: 'json'`, in `__type`).
   */
  | { kind: 'unmodelled'; status: number; count: number; errorType?: string; body?: 'html' | 'json'; retryAfterSeconds?: number; afterApply?: boolean }
  /** The TCP connection is reset (RST) instead of answered; with afterApply, after the operation ran. */
  | { kind: 'reset'; count: number; afterApply?: boolean }
  /** The sandbox's clock runs this far ahead (negative: behind) for the signature check and the Date header. */
  | { kind: 'clock-skew'; offsetSeconds: number }
  /** Requests signed with these access keys (any key when absent) get 403 ExpiredTokenException. */
  | { kind: 'expired-token'; count?: number; accessKeyIds?: string[] }
  /**
   * The next `count` UpdateCaseStatus calls (until cleared when absent) answer a transition the table
   * refuses, the retry of one already applied included, with `as` instead of the configured error:
   * AWS does not document which of the two it sends.
   */
  | { kind: 'illegal-transition'; as: 'ConflictException' | 'ValidationException'; count?: number };

export type FailureFault = Extract<Fault, { kind: 'throttle' | 'internal' | 'conflict' | 'error' | 'unmodelled' | 'reset' | 'expired-token' }>;
export type FaultTarget = SirOperation | '*';

const count = z.number().int().positive();
const retryAfterSeconds = z.number().int().nonnegative();
/** Within a year either way: enough for any skew a test needs, and Date stays valid. */
const MAX_CLOCK_SKEW_SECONDS = 366 * 24 * 3600;

/** The one definition of a valid fault, shared by `inject` and the admin route. */
export const faultSchema: z.ZodType<Fault> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('throttle'), count, retryAfterSeconds: retryAfterSeconds.optional() }),
  z.strictObject({ kind: z.literal('internal'), count, retryAfterSeconds: retryAfterSeconds.optional(), afterApply: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('latency'), ms: z.number().int().nonnegative().max(600_000), count: count.optional() }),
  z.strictObject({ kind: z.literal('conflict'), count: count.optional(), caseIds: z.array(z.string().min(1)).optional() }),
  z.strictObject({ kind: z.literal('error'), name: z.enum(SIR_ERROR_NAMES as [SirErrorName, ...SirErrorName[]]), count }),
  z.strictObject({
    kind: z.literal('unmodelled'),
    status: z.number().int().min(400).max(599),
    count,
    // A header value: no separators that would let a test smuggle in a second header.
    errorType: z.string().regex(/^[A-Za-z0-9._:#-]{1,200}$/).optional(),
    body: z.enum(['html', 'json']).optional(),
    retryAfterSeconds: retryAfterSeconds.optional(),
    afterApply: z.boolean().optional(),
  }),
  z.strictObject({ kind: z.literal('reset'), count, afterApply: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('clock-skew'), offsetSeconds: z.number().int().min(-MAX_CLOCK_SKEW_SECONDS).max(MAX_CLOCK_SKEW_SECONDS) }),
  z.strictObject({ kind: z.literal('expired-token'), count: count.optional(), accessKeyIds: z.array(z.string().min(1)).optional() }),
  z.strictObject({ kind: z.literal('illegal-transition'), as: z.enum(['ConflictException', 'ValidationException']), count: count.optional() }),
]);

export const faultTargetSchema = z.enum(['*', ...SIR_OPERATIONS]);

export interface ArmedFault {
  operation: FaultTarget;
  fault: Fault;
  /** Calls this fault still affects; undefined = until cleared. */
  remaining: number | undefined;
}

export interface FaultPlan {
  latencyMs: number;
  failure?: FailureFault;
  /** Overrides the sandbox's illegalTransitionError for this call. */
  illegalTransitionError?: 'ConflictException' | 'ValidationException';
}

/** What a call is matched on. */
export interface FaultCall {
  operation: SirOperation;
  caseId?: string;
  /** The verified access key that signed the call. */
  accessKeyId?: string;
}

export class FaultInjector {
  private armed: ArmedFault[] = [];

  /** Throws a TypeError naming the problem when the fault is malformed (e.g. count 0). */
  inject(operation: FaultTarget, fault: Fault): void {
    const target = faultTargetSchema.safeParse(operation);
    if (!target.success) throw new TypeError(`cannot inject a fault for "${String(operation)}": not a SIR operation or "*"`);
    const parsed = faultSchema.safeParse(fault);
    if (!parsed.success) throw new TypeError(`invalid fault: ${z.prettifyError(parsed.error)}`);
    this.armed.push({ operation: target.data, fault: parsed.data, remaining: 'count' in parsed.data ? parsed.data.count : undefined });
  }

  clear(): void {
    this.armed = [];
  }

  /** The faults still armed, in the order they will be considered. */
  list(): ArmedFault[] {
    return structuredClone(this.armed);
  }

  /** How far the sandbox's clock is off real time: the first armed clock skew, else 0. */
  clockOffsetMs(): number {
    const skew = this.armed.find((a) => a.fault.kind === 'clock-skew');
    return skew?.fault.kind === 'clock-skew' ? skew.fault.offsetSeconds * 1000 : 0;
  }

  /** Decides (and consumes) what happens to one authenticated call. */
  take(call: FaultCall): FaultPlan {
    const latency = this.armed.find((a) => a.fault.kind === 'latency' && matches(a, call));
    const failure = this.armed.find((a) => isFailure(a.fault) && matches(a, call));
    const override = this.armed.find((a) => a.fault.kind === 'illegal-transition' && matches(a, call));
    for (const used of [latency, failure, override]) {
      if (used?.remaining !== undefined) used.remaining--;
    }
    this.armed = this.armed.filter((a) => a.remaining === undefined || a.remaining > 0);
    return {
      latencyMs: latency?.fault.kind === 'latency' ? latency.fault.ms : 0,
      ...(failure && { failure: failure.fault as FailureFault }),
      ...(override?.fault.kind === 'illegal-transition' && { illegalTransitionError: override.fault.as }),
    };
  }
}

function isFailure(fault: Fault): fault is FailureFault {
  return fault.kind !== 'latency' && fault.kind !== 'clock-skew' && fault.kind !== 'illegal-transition';
}

function matches(armed: ArmedFault, call: FaultCall): boolean {
  if (armed.operation !== '*' && armed.operation !== call.operation) return false;
  switch (armed.fault.kind) {
    case 'conflict':
      return !armed.fault.caseIds || (call.caseId !== undefined && armed.fault.caseIds.includes(call.caseId));
    case 'expired-token':
      return !armed.fault.accessKeyIds || (call.accessKeyId !== undefined && armed.fault.accessKeyIds.includes(call.accessKeyId));
    case 'illegal-transition':
      return call.operation === 'UpdateCaseStatus';
    default:
      return true;
  }
}

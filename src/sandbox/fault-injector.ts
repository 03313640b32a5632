/**
 * Scripted failures, so the retry and idempotency contract (SPEC §2) can be exercised against real
 * HTTP: throttling, server errors (including the nastiest one, a change applied whose answer is
 * lost), slow answers, conflicts and any modelled error.
 *
 * Faults are armed in order and matched per call after the signature has been verified (an
 * unauthenticated caller never reaches the service, so it cannot meet its faults either). Each call
 * consumes at most one latency fault and at most one failing fault, so latency composes with a
 * failure ("slow, then throttled") while two armed failures play out on successive calls.
 */
import { z } from 'zod';
import { SIR_ERROR_NAMES, type SirErrorName } from '../domain/sir-errors';
import { SIR_OPERATIONS, type SirOperation } from '../sir/shapes';

export type Fault =
  | { kind: 'throttle'; count: number; retryAfterSeconds?: number }
  | { kind: 'internal'; count: number; retryAfterSeconds?: number; afterApply?: boolean }
  | { kind: 'latency'; ms: number; count?: number }
  | { kind: 'conflict'; count?: number; caseIds?: string[] }
  | { kind: 'error'; name: SirErrorName; count: number };

export type FailureFault = Exclude<Fault, { kind: 'latency' }>;
export type FaultTarget = SirOperation | '*';

const count = z.number().int().positive();
const retryAfterSeconds = z.number().int().nonnegative();

/** The one definition of a valid fault, shared by `inject` and the admin route. */
export const faultSchema: z.ZodType<Fault> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('throttle'), count, retryAfterSeconds: retryAfterSeconds.optional() }),
  z.strictObject({ kind: z.literal('internal'), count, retryAfterSeconds: retryAfterSeconds.optional(), afterApply: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('latency'), ms: z.number().int().nonnegative().max(600_000), count: count.optional() }),
  z.strictObject({ kind: z.literal('conflict'), count: count.optional(), caseIds: z.array(z.string().min(1)).optional() }),
  z.strictObject({ kind: z.literal('error'), name: z.enum(SIR_ERROR_NAMES as [SirErrorName, ...SirErrorName[]]), count }),
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

  /** Decides (and consumes) what happens to one authenticated call. */
  take(call: { operation: SirOperation; caseId?: string }): FaultPlan {
    const latency = this.armed.find((a) => a.fault.kind === 'latency' && matches(a, call));
    const failure = this.armed.find((a) => a.fault.kind !== 'latency' && matches(a, call));
    for (const used of [latency, failure]) {
      if (used?.remaining !== undefined) used.remaining--;
    }
    this.armed = this.armed.filter((a) => a.remaining === undefined || a.remaining > 0);
    return {
      latencyMs: latency?.fault.kind === 'latency' ? latency.fault.ms : 0,
      ...(failure && { failure: failure.fault as FailureFault }),
    };
  }
}

function matches(armed: ArmedFault, call: { operation: SirOperation; caseId?: string }): boolean {
  if (armed.operation !== '*' && armed.operation !== call.operation) return false;
  if (armed.fault.kind === 'conflict' && armed.fault.caseIds) {
    return call.caseId !== undefined && armed.fault.caseIds.includes(call.caseId);
  }
  return true;
}

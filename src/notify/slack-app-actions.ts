/**
 * The contract between a gate's Slack message and the interactivity route: which button is which, and
 * what its value names (the case's workflow and the approval). The value only says which gate a click
 * is about; who clicked comes from Slack's signed payload and the users file, and whether they may
 * decide from the case's own rules.
 */
import { z } from 'zod';

export const DECIDE_BLOCK_ID = 'phasegate-decide';
export const ACTION_APPROVE = 'phasegate-approve';
export const ACTION_REJECT = 'phasegate-reject';
/** Opens a modal asking why; its submission rejects with that reason as the comment. */
export const ACTION_REJECT_WITH_REASON = 'phasegate-reject-with-reason';
export const REJECT_REASON_CALLBACK_ID = 'phasegate-reject-reason';
export const REASON_BLOCK_ID = 'reason';
export const REASON_ACTION_ID = 'reason';
/** The decisions route takes comments up to this length; the modal asks for no more. */
export const REASON_MAX_LENGTH = 2000;

export interface GateRef {
  workflowId: string;
  approvalId: number;
}

const gateRef = z.strictObject({
  workflowId: z.string().regex(/^case-[A-Za-z0-9._:-]{1,200}$/),
  approvalId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

export function gateValue(ref: GateRef): string {
  return JSON.stringify({ workflowId: ref.workflowId, approvalId: ref.approvalId });
}

/** The gate a button or a modal names, or undefined for anything else. */
export function parseGateValue(value: unknown): GateRef | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  try {
    const parsed = gateRef.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

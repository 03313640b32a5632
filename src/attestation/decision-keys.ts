/**
 * Decision keys (PHASEGATE_DECISION_KEYS): the shared secret with which the API server attests that it
 * authenticated the person behind a decision, or that it started a case adopting a SIR case, and with
 * which workers check it. Comma-separated; the
 * first signs, every one verifies, so a key rotates by putting the new one first on every process and
 * dropping the old one later. A key is referred to by a short id derived from it, never by itself.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ATTESTATION_MAX_AGE_MS, type ActorVerdict, type AttestedAct, attestationMessage } from '../domain/case/decision-attestation';
import { type AttestedStart, startAttestationMessage } from '../domain/case/start-attestation';
import type { Attestation } from '../domain/contract/message-payloads';
import type { StartAttestation } from '../domain/case/playbook-input';

const MIN_KEY_LENGTH = 32;

export class DecisionKeys {
  private readonly keys: ReadonlyArray<{ id: string; secret: Buffer }>;

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('PHASEGATE_DECISION_KEYS is empty');
    this.keys = secrets.map((secret, i) => {
      if (secret.length < MIN_KEY_LENGTH) throw new Error(`PHASEGATE_DECISION_KEYS entry ${i + 1} must be at least ${MIN_KEY_LENGTH} characters (openssl rand -hex 32)`);
      return { id: createHash('sha256').update(secret).digest('hex').slice(0, 12), secret: Buffer.from(secret, 'utf8') };
    });
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): DecisionKeys | undefined {
    const raw = env.PHASEGATE_DECISION_KEYS?.trim();
    return raw ? new DecisionKeys(raw.split(',').map((k) => k.trim()).filter(Boolean)) : undefined;
  }

  attest(act: AttestedAct, by: string, groups: readonly string[], now: Date = new Date()): Attestation {
    const issuedAt = now.toISOString();
    const { id, secret } = this.keys[0]!;
    return { keyId: id, issuedAt, groups: [...groups], mac: mac(secret, attestationMessage(act, by, groups, issuedAt)) };
  }

  verify(act: AttestedAct, by: string, attestation: Attestation, now: Date = new Date()): ActorVerdict {
    const groups = Array.isArray(attestation.groups) ? attestation.groups.filter((g) => typeof g === 'string') : [];
    const problem = this.check(attestation, (issuedAt) => attestationMessage(act, by, groups, issuedAt), now);
    if (problem === 'mismatch') return unproven(`the attestation does not match this ${act.kind === 'decide' ? 'decision' : 'request'} by ${by}`);
    if (problem) return unproven(problem);
    return { ok: true, by, groups, proof: 'attested' };
  }

  /** Vouches for a case start (the server, when an alert adopts a SIR case). */
  attestStart(start: AttestedStart, now: Date = new Date()): StartAttestation {
    const issuedAt = now.toISOString();
    const { id, secret } = this.keys[0]!;
    return { keyId: id, issuedAt, mac: mac(secret, startAttestationMessage(start, issuedAt)) };
  }

  /**
   * Checks a start attestation against the start the worker runs. Its age is measured from when
   * Temporal started the run, not from the check: a case that waited for a worker is still vouched for.
   */
  verifyStart(start: AttestedStart, attestation: StartAttestation, runStartedAt: Date): { ok: true } | { ok: false; message: string } {
    const problem = this.check(attestation, (issuedAt) => startAttestationMessage(start, issuedAt), runStartedAt);
    if (problem === 'mismatch') return { ok: false, message: `the start attestation does not match this start (workflow ${start.workflowId}, playbook "${start.playbook}", SIR case ${start.caseId ?? 'none'})` };
    return problem ? { ok: false, message: problem } : { ok: true };
  }

  /** Why an attestation is not honoured at `at`, 'mismatch' when its MAC is wrong, or undefined. */
  private check(attestation: { keyId: string; issuedAt: string; mac: string }, message: (issuedAt: string) => string, at: Date): string | undefined {
    const key = this.keys.find((k) => k.id === attestation?.keyId);
    if (!key) return `the attestation was made with a decision key this worker does not have (${String(attestation?.keyId)})`;
    const issued = Date.parse(attestation.issuedAt);
    const age = at.getTime() - issued;
    if (!Number.isFinite(issued) || age > ATTESTATION_MAX_AGE_MS || age < -ATTESTATION_MAX_AGE_MS) {
      return `the attestation was issued at ${attestation.issuedAt}, outside the ${ATTESTATION_MAX_AGE_MS / 60_000} minutes it is honoured`;
    }
    const expected = Buffer.from(mac(key.secret, message(attestation.issuedAt)), 'hex');
    const given = Buffer.from(typeof attestation.mac === 'string' ? attestation.mac : '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'mismatch';
    return undefined;
  }
}

function mac(secret: Buffer, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

function unproven(message: string): ActorVerdict {
  return { ok: false, type: 'UnprovenIdentity', message };
}

/**
 * The first act of a new case (cases since the `verified-start` patch): before any SIR call the
 * worker checks the start, since whoever can start workflows in the namespace can start casePlaybook
 * with an input of their own making. The case runs only a playbook of the worker's own directory
 * (same name, same content hash), names an existing SIR case only with the API server's attestation
 * or where the deployment trusts Temporal access, and is the workflow of the alert it names. Anything
 * else fails the workflow with UNVERIFIED_START, saying what did not match.
 */
export const UNVERIFIED_START = 'UnverifiedStart';

/** The verdict of the worker's check (a local activity), recorded in the case's history. */
export type StartVerdict =
  | {
      ok: true;
      playbookSha256: string;
      /** How the SIR case the start adopts was allowed, when it adopts one. */
      caseIdProof?: 'attested' | 'trusted-temporal-access';
    }
  | { ok: false; type: typeof UNVERIFIED_START; message: string };

/**
 * What the workflow itself needs of its input before it can even ask the worker (a crafted start may
 * carry anything): why it cannot be run, or undefined. (State carried into a first run is refused
 * before this, by every case: workflows/case-playbook.ts.)
 */
export function malformedStart(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return 'the start carries no input object';
  const start = input as Record<string, unknown>;
  if (typeof start.fingerprint !== 'string') return 'the start names no alert fingerprint';
  const playbook = start.playbook as Record<string, unknown> | null | undefined;
  if (typeof playbook !== 'object' || playbook === null || typeof playbook.name !== 'string' || !Array.isArray(playbook.steps)) return 'the start names no playbook';
  if (start.severity !== undefined && typeof start.severity !== 'number') return 'the severity must be a number';
  if (start.caseId !== undefined && typeof start.caseId !== 'string') return 'the SIR case id must be a string';
  if (start.caseId === undefined && (typeof start.newCase !== 'object' || start.newCase === null)) return 'the start names neither a SIR case to adopt nor one to open';
  const group = start.group as Record<string, unknown> | null | undefined;
  if (group !== undefined && (typeof group !== 'object' || group === null || typeof group.first !== 'object' || group.first === null)) return 'the group must name its first alert';
  return undefined;
}

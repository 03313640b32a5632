/**
 * A case start the API server vouches for: which workflow runs which playbook (name and content
 * hash) on which existing SIR case, and who allowed the alert to adopt it when that is recorded. The
 * server MACs it with a decision key when an alert names a case to adopt; the worker recomputes it
 * from the start it runs and checks the MAC in a local activity before the case makes its first SIR
 * call. Binding the namespace, the workflow id, the playbook and the case means a captured
 * attestation can only vouch for the very start it was made for.
 */
import { canonicalJson } from '../canonical-json';
import type { CasePlaybookInput } from './playbook-input';

export interface AttestedStart {
  namespace: string;
  workflowId: string;
  playbook: string;
  playbookSha256: string;
  caseId?: string;
  /** Who allowed the alert to adopt the case (issue 18, point 3), when the start records it. */
  adoption?: unknown;
}

/** What an attestation of this start covers, taken from the start itself. */
export function attestedStartOf(input: CasePlaybookInput, where: { namespace: string; workflowId: string; playbookSha256: string }): AttestedStart {
  const { adoption } = input;
  return {
    namespace: where.namespace,
    workflowId: where.workflowId,
    playbook: input.playbook.name,
    playbookSha256: where.playbookSha256,
    ...(input.caseId !== undefined && { caseId: input.caseId }),
    ...(adoption !== undefined && { adoption }),
  };
}

export function startAttestationMessage(start: AttestedStart, issuedAt: string): string {
  return JSON.stringify([
    'phasegate-start-v1',
    start.namespace,
    start.workflowId,
    start.playbook,
    start.playbookSha256,
    start.caseId ?? null,
    start.adoption === undefined ? null : canonicalJson(start.adoption),
    issuedAt,
  ]);
}

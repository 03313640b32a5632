/**
 * The worker's check of a case start (src/domain/case/start.ts), run as a local activity before the
 * case makes any SIR call: only the worker holds its playbook directory and the decision key, and only
 * the verdict enters the history.
 */
import type { DecisionKeys } from '../src/attestation/decision-keys';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import { type StartVerdict, UNVERIFIED_START } from '../src/domain/case/start';
import type { PlaybookCatalog } from '../src/domain/playbook/catalog';
import { playbookSha256 } from '../src/domain/playbook/hash';
import { attestedStartOf } from '../src/domain/case/start-attestation';
import { caseWorkflowId } from '../src/domain/contract/temporal-names';

export interface StartCheckOptions {
  /** The worker's own playbooks (its playbook directory, PHASEGATE_PLAYBOOKS): a case runs only one of these. */
  playbooks?: PlaybookCatalog;
  /** Checks the API server's start attestation. */
  decisionKeys?: DecisionKeys;
  /** Anyone who can start workflows may name a SIR case to adopt (PHASEGATE_TRUST_TEMPORAL_ACCESS=true). */
  trustTemporalAccess?: boolean;
}

export interface VerifyStartRequest {
  namespace: string;
  workflowId: string;
  /** When Temporal started the run (ISO-8601): a start attestation must have been made shortly before. */
  runStartedAt: string;
  input: CasePlaybookInput;
}

export function createStartActivities(options: StartCheckOptions) {
  return {
    verifyStart: async ({ namespace, workflowId, runStartedAt, input }: VerifyStartRequest): Promise<StartVerdict> => {
      const refused = (message: string): StartVerdict => ({ ok: false, type: UNVERIFIED_START, message });
      // The case's workflow id and CreateCase's idempotency token both derive from the fingerprint:
      // another workflow naming it would reach the alert's SIR case through the token.
      if (workflowId !== caseWorkflowId(input.fingerprint)) {
        return refused(`the workflow id "${workflowId}" is not the one of the alert it names (${caseWorkflowId(input.fingerprint)})`);
      }

      const name = input.playbook.name;
      const carried = playbookSha256(input.playbook);
      if (input.playbookSha256 !== undefined && input.playbookSha256 !== carried) {
        return refused(`the playbook "${name}" the start carries has content sha256 ${carried}, not the ${String(input.playbookSha256)} it names`);
      }
      if (!options.playbooks) return refused('this worker was started without a playbook directory, so it runs no case');
      const answer = options.playbooks.check(name, carried);
      if (!answer.ok && answer.reason === 'unknown-name') {
        return refused(`this worker has no playbook "${name}" (its playbook directory has: ${answer.names.join(', ') || 'none'})`);
      }
      if (!answer.ok) {
        return refused(`the start's playbook "${name}" (content sha256 ${carried}) is not this worker's playbook "${name}" (sha256 ${answer.hashes.join(', ')}): a case runs only the playbooks of the worker's own directory`);
      }

      const runStart = new Date(runStartedAt);
      if (input.startAttestation !== undefined) {
        // An attestation is checked wherever it is present: a forged one is refused even where a bare start would pass.
        if (!options.decisionKeys) return refused('the start carries an attestation, but this worker has no decision key (PHASEGATE_DECISION_KEYS) to check it with');
        const start = attestedStartOf(input, { namespace, workflowId, playbookSha256: carried });
        const check = options.decisionKeys.verifyStart(start, input.startAttestation, runStart);
        if (!check.ok) return refused(check.message);
        return { ok: true, playbookSha256: carried, ...(input.caseId !== undefined && { caseIdProof: 'attested' as const }) };
      }
      if (input.caseId !== undefined) {
        if (!options.trustTemporalAccess) {
          return refused(
            `the start adopts SIR case ${input.caseId}, but nothing proves the phasegate server allowed it (no start attestation): ` +
              'send the alert through phasegate (POST /v1/alerts or the SQS intake), or run workers with PHASEGATE_TRUST_TEMPORAL_ACCESS=true where Temporal access is the boundary',
          );
        }
        return { ok: true, playbookSha256: carried, caseIdProof: 'trusted-temporal-access' };
      }
      return { ok: true, playbookSha256: carried };
    },
  };
}

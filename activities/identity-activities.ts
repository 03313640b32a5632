/**
 * The worker's half of "who decided": checks the attestation the API server put on a decision or
 * transition request, or, where the deployment trusts Temporal access (`phasegate dev`, or
 * PHASEGATE_TRUST_TEMPORAL_ACCESS=true), takes the name and looks its groups up in the worker's own
 * users file. Runs as a local activity so the decision key never enters the workflow or its history;
 * only the verdict does.
 */
import type { DecisionKeys } from '../src/attestation/decision-keys';
import type { ActorVerdict, AttestedAct } from '../src/domain/case/decision-attestation';
import type { Attestation } from '../src/domain/contract/message-payloads';

export interface IdentityOptions {
  decisionKeys?: DecisionKeys;
  /** Accept a name without an attestation: anyone who can signal the workflow is trusted to say who they are. */
  trustTemporalAccess?: boolean;
  /** Groups of a user from the users file where the check is made (the worker's PHASEGATE_USERS). */
  groupsOf?: (user: string) => string[] | undefined;
}

export interface ProveActorRequest {
  act: AttestedAct;
  by: string;
  attestation?: Attestation;
}

export function createIdentityActivities(options: IdentityOptions) {
  return {
    proveActor: async ({ act, by, attestation }: ProveActorRequest): Promise<ActorVerdict> => {
      if (attestation) {
        if (!options.decisionKeys) {
          return { ok: false, type: 'UnprovenIdentity', message: 'this worker has no decision key (PHASEGATE_DECISION_KEYS) to check the attestation with' };
        }
        return options.decisionKeys.verify(act, by, attestation);
      }
      if (options.trustTemporalAccess) {
        return { ok: true, by, groups: options.groupsOf?.(by) ?? [], proof: 'trusted-temporal-access' };
      }
      return {
        ok: false,
        type: 'UnprovenIdentity',
        message: `nothing proves that phasegate authenticated ${by}: decide through the phasegate API or CLI (or run workers with PHASEGATE_TRUST_TEMPORAL_ACCESS=true where Temporal access is the boundary)`,
      };
    },
  };
}

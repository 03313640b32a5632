/**
 * How a worker started from the environment proves who decided: PHASEGATE_DECISION_KEYS checks the
 * API server's attestations; PHASEGATE_TRUST_TEMPORAL_ACCESS=true also accepts a bare name from anyone
 * who can signal the workflow (the deployment makes Temporal access the boundary, as `phasegate dev`
 * does); groups then come from the worker's PHASEGATE_USERS.
 */
import type { IdentityOptions } from '../../activities';
import { DecisionKeys } from '../attestation/decision-keys';
import { type UserDirectory, loadUsersFile } from '../config/users';

export async function identityFromEnv(env: NodeJS.ProcessEnv = process.env, users?: UserDirectory): Promise<IdentityOptions> {
  const trust = env.PHASEGATE_TRUST_TEMPORAL_ACCESS?.trim().toLowerCase();
  if (trust !== undefined && trust !== '' && trust !== 'true' && trust !== 'false') {
    throw new Error(`PHASEGATE_TRUST_TEMPORAL_ACCESS must be true or false, not "${env.PHASEGATE_TRUST_TEMPORAL_ACCESS}"`);
  }
  const directory = users ?? (trust === 'true' && env.PHASEGATE_USERS ? await loadUsersFile(env.PHASEGATE_USERS) : undefined);
  return identityOptions({ decisionKeys: DecisionKeys.fromEnv(env), trustTemporalAccess: trust === 'true', users: directory });
}

export function identityOptions(options: { decisionKeys?: DecisionKeys; trustTemporalAccess: boolean; users?: UserDirectory }): IdentityOptions {
  return {
    ...(options.decisionKeys && { decisionKeys: options.decisionKeys }),
    trustTemporalAccess: options.trustTemporalAccess,
    ...(options.users && { groupsOf: (name: string) => options.users!.find(name)?.groups }),
  };
}

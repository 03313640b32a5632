import { SANDBOX_DEFAULT_CREDENTIALS, type SandboxOptions, type SirSandbox, startSandbox } from '../../src/sandbox';
import { SirClient } from '../../src/sir';

export interface SandboxFixture {
  sandbox: SirSandbox;
  sir: SirClient;
}

/** A sandbox on a random loopback port and a real SIR client signed with its credentials. */
export async function startSandboxFixture(options: SandboxOptions = {}): Promise<SandboxFixture> {
  const sandbox = await startSandbox({ port: 0, ...options });
  const sir = new SirClient({ region: options.region ?? 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_DEFAULT_CREDENTIALS });
  return { sandbox, sir };
}

export const SAMPLE_CASE = {
  title: 'GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce on i-0abc',
  description: 'Brute force SSH attempts against an instance in the production account.',
  engagementType: 'Security Incident' as const,
  resolverType: 'Self' as const,
  reportedIncidentStartDate: new Date('2026-11-20T10:00:00Z'),
  impactedAccounts: ['111122223333'],
  watchers: [{ email: 'ir-lead@example.com', name: 'IR Lead' }],
};

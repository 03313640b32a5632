/** One representative call per SIR operation, for tests that must cover every operation. */
import type { SirClient } from '../../src/sir';
import type { CreateCaseInput, SirOperation } from '../../src/sir/shapes';

export const CASE_ID = '8403556009';

export const CREATE_CASE_INPUT: CreateCaseInput = {
  clientToken: 'phasegate:gd-finding-42',
  resolverType: 'Self',
  title: 'GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce',
  description: 'Brute force against i-0abc from 198.51.100.7',
  engagementType: 'Security Incident',
  reportedIncidentStartDate: new Date('2025-03-04T05:06:07.890Z'),
  impactedAccounts: ['123456789012'],
  watchers: [{ email: 'ir-lead@example.com', name: 'IR Lead' }],
};

export const SAMPLE_CALLS: Record<SirOperation, (client: SirClient) => Promise<unknown>> = {
  CreateCase: (client) => client.createCase(CREATE_CASE_INPUT),
  GetCase: (client) => client.getCase(CASE_ID),
  UpdateCaseStatus: (client) => client.updateCaseStatus(CASE_ID, 'Detection and Analysis'),
  CloseCase: (client) => client.closeCase(CASE_ID),
  ListCases: (client) => client.listCases({ maxResults: 5 }),
  CreateCaseComment: (client) => client.createCaseComment({ caseId: CASE_ID, body: 'Contained.', clientToken: 'c-1' }),
};

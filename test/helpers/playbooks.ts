import type { SelfManagedStatus } from '../../src/domain/case/status';
import type { ApprovalSpec, Playbook } from '../../src/domain/playbook/playbook';

export interface TestStep {
  status: SelfManagedStatus;
  approval?: ApprovalSpec;
}

/** A normalised playbook built in code, for workflow tests that need a precise shape. */
export function testPlaybook(
  name: string,
  steps: Array<SelfManagedStatus | TestStep>,
  options: {
    close?: boolean | { approval?: ApprovalSpec };
    onReject?: Playbook['onReject'];
    match?: Playbook['match'];
    case?: Partial<Playbook['case']>;
  } = {},
): Playbook {
  return {
    name,
    match: options.match ?? { source: 'any' },
    case: {
      title: 'Test case {{alert.id}}',
      description: 'Opened by a test',
      engagementType: 'Security Incident',
      resolverType: 'Self',
      watchers: [],
      impactedAccountsFromAlert: true,
      impactedRegionsFromAlert: true,
      ...options.case,
    },
    steps: steps.map((s) => (typeof s === 'string' ? { status: s } : s)),
    close: options.close === true ? {} : options.close || undefined,
    onReject: options.onReject ?? 'stay',
  };
}

import type { ApprovalNotice } from '../../src/domain/case/approval-notice';

/** An approval notice as a case workflow would send it when a containment gate opens. */
export function sampleNotice(overrides: Partial<ApprovalNotice> = {}): ApprovalNotice {
  return {
    event: 'approval-opened',
    caseId: '1234567890',
    workflowId: 'case-guardduty-abc123',
    approvalId: 3,
    playbook: 'guardduty-high-severity',
    title: 'GuardDuty UnauthorizedAccess:EC2/SSHBruteForce in 111122223333 (eu-west-1)',
    severity: 8,
    from: 'Detection and Analysis',
    target: 'Containment, Eradication and Recovery',
    approvers: ['group:ir-leads', 'alice'],
    approvalsNeeded: 2,
    deadline: '2026-11-20T11:00:00.000Z',
    at: '2026-11-20T10:00:00.000Z',
    ...overrides,
  };
}

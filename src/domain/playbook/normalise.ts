/**
 * From a validated document to the Playbook the workflow runs: defaults filled in, durations in
 * milliseconds, and no optional key present with an undefined value (the playbook travels in
 * workflow inputs, where an explicit `undefined` would be noise in the Web UI's JSON).
 */
import type { ApprovalSpec, EscalationSpec, Playbook } from './playbook';
import type { ApprovalDocument, PlaybookDocument } from './document';

export const PLAYBOOK_DEFAULTS = {
  source: 'any',
  engagementType: 'Security Incident',
  resolverType: 'Self',
  onTimeout: 'reject',
  onReject: 'stay',
} as const;

/** Only call on a document that passed checkPlaybookRules. */
export function toPlaybook(doc: PlaybookDocument): Playbook {
  const match = doc.match ?? {};
  const c = doc.case;
  return {
    name: doc.name,
    ...(doc.description !== undefined && { description: doc.description }),
    match: {
      source: match.source ?? PLAYBOOK_DEFAULTS.source,
      ...(match.type !== undefined && { type: match.type }),
      ...(match.minSeverity !== undefined && { minSeverity: match.minSeverity }),
    },
    case: {
      title: c.title,
      description: c.description,
      engagementType: c.engagementType ?? PLAYBOOK_DEFAULTS.engagementType,
      resolverType: c.resolverType ?? PLAYBOOK_DEFAULTS.resolverType,
      watchers: (c.watchers ?? []).map((w) => ({
        email: w.email,
        ...(w.name !== undefined && { name: w.name }),
        ...(w.jobTitle !== undefined && { jobTitle: w.jobTitle }),
      })),
      impactedAccountsFromAlert: (c.impactedAccounts ?? 'fromAlert') === 'fromAlert',
      impactedRegionsFromAlert: (c.impactedRegions ?? 'fromAlert') === 'fromAlert',
    },
    steps: (doc.steps ?? []).map((step) => ({
      status: step.status,
      ...(step.approval !== undefined && { approval: toApproval(step.approval) }),
    })),
    ...(doc.close !== undefined && { close: doc.close.approval !== undefined ? { approval: toApproval(doc.close.approval) } : {} }),
    onReject: doc.onReject ?? PLAYBOOK_DEFAULTS.onReject,
    ...(doc.sirRecheckEvery !== undefined && { sirRecheckEveryMs: doc.sirRecheckEvery }),
    ...(doc.group !== undefined && { group: { by: [...doc.group.by], windowMs: doc.group.window } }),
    ...(doc.maxNewCasesPerHour !== undefined && { maxNewCasesPerHour: doc.maxNewCasesPerHour }),
  };
}

/**
 * `minApprovers` is kept only above 1: one approval is what a gate without it needs, so `minApprovers: 1`
 * and no minApprovers give the same playbook (and the same workflow input) rather than two spellings
 * of one meaning.
 */
function toApproval(approval: ApprovalDocument): ApprovalSpec {
  return {
    approvers: [...approval.approvers],
    ...(approval.timeout !== undefined && { timeoutMs: approval.timeout }),
    onTimeout: approval.onTimeout ?? PLAYBOOK_DEFAULTS.onTimeout,
    ...(approval.escalation !== undefined && { escalation: toEscalation(approval.escalation) }),
    ...(approval.minApprovers !== undefined && approval.minApprovers > 1 && { minApprovers: approval.minApprovers }),
    ...(approval.separateFrom !== undefined && { separateFrom: approval.separateFrom }),
    ...(approval.notify !== undefined && { notify: [...approval.notify] }),
    ...(approval.remindEvery !== undefined && { remindEveryMs: approval.remindEvery }),
  };
}

function toEscalation(escalation: NonNullable<ApprovalDocument['escalation']>): EscalationSpec {
  return {
    approvers: [...escalation.approvers],
    ...(escalation.timeout !== undefined && { timeoutMs: escalation.timeout }),
    // checkPlaybookRules refuses "escalate" here: there is a single escalation level.
    onTimeout: escalation.onTimeout === 'approve' ? 'approve' : 'reject',
    ...(escalation.notify !== undefined && { notify: [...escalation.notify] }),
  };
}

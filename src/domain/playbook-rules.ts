/**
 * The checks that relate fields to each other: the step sequence against the SIR transition table,
 * and the approval options that only make sense together. They run on a document that already has
 * the right shape (playbook-document.ts), so they can trust types and concentrate on meaning.
 */
import type { CaseStatus } from './case-status';
import type { ApprovalDocument, PlaybookDocument } from './playbook-document';
import type { DocumentPath } from './playbook-location';
import { checkTransition } from './transitions';

export interface RuleViolation {
  path: DocumentPath;
  rule: string;
  message: string;
}

const INITIAL_STATUS: CaseStatus = 'Submitted';

export function checkPlaybookRules(doc: PlaybookDocument): RuleViolation[] {
  return [...checkHasWork(doc), ...checkStepSequence(doc), ...checkApprovals(doc)];
}

function checkHasWork(doc: PlaybookDocument): RuleViolation[] {
  if ((doc.steps ?? []).length > 0 || doc.close !== undefined) return [];
  return [
    {
      path: ['steps'],
      rule: 'no-steps',
      message: 'the playbook has no steps and no close, so it would never touch a case: add steps (statuses to move the case through), a close, or both',
    },
  ];
}

function checkStepSequence(doc: PlaybookDocument): RuleViolation[] {
  const steps = doc.steps ?? [];
  if (doc.case.resolverType === 'AWS' && steps.length > 0) {
    return [
      {
        path: ['steps'],
        rule: 'aws-supported-case',
        message:
          `case.resolverType is AWS, but AWS responders manage the status of AWS-supported cases and phasegate never calls UpdateCaseStatus on them; ` +
          `remove the ${steps.length} step(s) and keep only "close", or use resolverType: Self`,
      },
    ];
  }
  const violations: RuleViolation[] = [];
  let previous: CaseStatus = INITIAL_STATUS;
  steps.forEach((step, index) => {
    const check = checkTransition(previous, step.status);
    if (!check.ok) {
      const after = index === 0 ? `every case starts in "${INITIAL_STATUS}"` : `after step ${index} "${previous}"`;
      const fix =
        check.rule === 'same-status'
          ? 'the same status twice in a row is not a transition; remove one of the two steps'
          : 'reorder the steps or insert an intermediate one';
      violations.push({ path: ['steps', index, 'status'], rule: check.rule, message: `${after}: ${check.reason}; ${fix}` });
    }
    previous = step.status;
  });
  return violations;
}

function checkApprovals(doc: PlaybookDocument): RuleViolation[] {
  const gates: Array<{ approval: ApprovalDocument; path: DocumentPath }> = [];
  (doc.steps ?? []).forEach((step, index) => {
    if (step.approval) gates.push({ approval: step.approval, path: ['steps', index, 'approval'] });
  });
  if (doc.close?.approval) gates.push({ approval: doc.close.approval, path: ['close', 'approval'] });
  return gates.flatMap(({ approval, path }) => checkApproval(approval, path));
}

function checkApproval(approval: ApprovalDocument, path: DocumentPath): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const add = (rule: string, where: DocumentPath, message: string): void => void violations.push({ rule, path: [...path, ...where], message });
  const { escalation } = approval;

  if (approval.onTimeout !== undefined && approval.timeout === undefined) {
    add(
      'on-timeout-without-timeout',
      ['onTimeout'],
      `approval.onTimeout is "${approval.onTimeout}" but the approval has no timeout, so it would never fire: add approval.timeout (e.g. 4h) or remove onTimeout`,
    );
  } else if (approval.onTimeout === 'escalate' && escalation === undefined) {
    add(
      'escalation-missing',
      ['onTimeout'],
      'approval.onTimeout is "escalate" but there is no approval.escalation: add escalation with its approvers (and a timeout), or choose onTimeout: reject or approve',
    );
  }
  if (escalation !== undefined && approval.onTimeout !== 'escalate') {
    add(
      'escalation-unused',
      ['escalation'],
      `approval.escalation would never be used because approval.onTimeout is ${approval.onTimeout === undefined ? 'not set (reject)' : `"${approval.onTimeout}"`}: set onTimeout: escalate (with a timeout) or remove the escalation`,
    );
  }
  if (escalation?.onTimeout === 'escalate') {
    add(
      'chained-escalation',
      ['escalation', 'onTimeout'],
      'approval.escalation.onTimeout cannot be "escalate": there is only one escalation level; choose reject or approve',
    );
  } else if (escalation?.onTimeout !== undefined && escalation.timeout === undefined) {
    add(
      'on-timeout-without-timeout',
      ['escalation', 'onTimeout'],
      `approval.escalation.onTimeout is "${escalation.onTimeout}" but the escalation has no timeout, so it would never fire: add escalation.timeout (e.g. 24h) or remove onTimeout`,
    );
  }
  return violations;
}

/**
 * The checks that relate fields to each other: the step sequence against the SIR transition table,
 * and the approval options that only make sense together. They run on a document that already has
 * the right shape (playbook/document.ts), so they can trust types and concentrate on meaning.
 */
import type { CaseStatus } from '../case/status';
import { type ApprovalDocument, type PlaybookDocument, TIMEOUT_OVERRIDABLE } from './document';
import type { DocumentPath } from './location';
import { formatDuration } from './duration';
import { checkTransition } from '../case/transitions';

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
  violations.push(...checkQuorum(approval, path), ...checkTimeoutOverrides(approval, path), ...checkReminders(approval, path));
  return violations;
}

/**
 * A timeout that approves moves the case on its own: past a gate that asks for several distinct
 * approvers, or for someone other than the requester, it would undo that protection by waiting. Such
 * a gate may approve on timeout only when the playbook names each protection the clock may override
 * (timeoutMayOverride), so a reviewer sees the choice.
 */
function checkTimeoutOverrides(approval: ApprovalDocument, path: DocumentPath): RuleViolation[] {
  const { escalation } = approval;
  const approving: { where: DocumentPath; field: string } | undefined =
    approval.onTimeout === 'approve' && approval.timeout !== undefined
      ? { where: ['onTimeout'], field: 'approval.onTimeout' }
      : approval.onTimeout === 'escalate' && approval.timeout !== undefined && escalation?.onTimeout === 'approve' && escalation.timeout !== undefined
        ? { where: ['escalation', 'onTimeout'], field: 'approval.escalation.onTimeout' }
        : undefined;
  const protections: Array<{ name: (typeof TIMEOUT_OVERRIDABLE)[number]; rule: string; undone: string }> = [
    ...((approval.minApprovers ?? 1) > 1
      ? [{ name: 'minApprovers' as const, rule: 'timeout-overrides-quorum', undone: `with fewer than the ${approval.minApprovers} distinct approvers minApprovers asks for` }]
      : []),
    ...(approval.separateFrom ? [{ name: 'separateFrom' as const, rule: 'timeout-overrides-separation', undone: `without anyone but the requester approving (separateFrom: ${approval.separateFrom})` }] : []),
  ];
  const allowed = approval.timeoutMayOverride ?? [];
  const violations: RuleViolation[] = [];
  if (approving) {
    for (const protection of protections.filter((p) => !allowed.includes(p.name))) {
      violations.push({
        path: [...path, ...approving.where],
        rule: protection.rule,
        message:
          `${approving.field} is "approve": when the deadline passes the clock would move the case ${protection.undone}; ` +
          `if that is intended, say so with approval.timeoutMayOverride: [${protection.name}], else choose onTimeout: reject (or escalate to people)`,
      });
    }
  }
  for (const name of allowed.filter((n) => !approving || !protections.some((p) => p.name === n))) {
    const why = !approving ? 'no timeout of this approval approves' : name === 'minApprovers' ? 'the approval needs only one approver' : 'the approval has no separateFrom';
    violations.push({
      path: [...path, 'timeoutMayOverride'],
      rule: 'timeout-override-unused',
      message: `approval.timeoutMayOverride names ${name}, but ${why}, so there is nothing for the clock to override: remove it`,
    });
  }
  return violations;
}

/** A quorum larger than the people who can give it would hold the case until a timeout decides. */
function checkQuorum(approval: ApprovalDocument, path: DocumentPath): RuleViolation[] {
  const needed = approval.minApprovers ?? 1;
  if (approval.approvers.some((ref) => ref.startsWith('group:'))) return [];
  const people = approval.approvers;
  if (needed <= people.length) return [];
  return [
    {
      path: [...path, 'minApprovers'],
      rule: 'min-approvers-unreachable',
      message:
        `approval.minApprovers is ${needed} but approval.approvers names only ${people.length} ${people.length === 1 ? 'person' : 'people'} ` +
        `(${people.join(', ')}) and no group, so the gate could never open: name more approvers or a group:<name>, or lower minApprovers`,
    },
  ];
}

function checkReminders(approval: ApprovalDocument, path: DocumentPath): RuleViolation[] {
  const every = approval.remindEvery;
  if (every === undefined) return [];
  if (approval.notify === undefined) {
    return [
      {
        path: [...path, 'remindEvery'],
        rule: 'remind-without-notify',
        message: 'approval.remindEvery is set but approval.notify names no channel to remind: add notify: [<channel>] or remove remindEvery',
      },
    ];
  }
  // A round without a timeout waits for as long as it takes, so reminders always have time to fire.
  const rounds = [approval.timeout];
  if (approval.onTimeout === 'escalate' && approval.escalation !== undefined) rounds.push(approval.escalation.timeout);
  if (rounds.some((round) => round === undefined || round > every)) return [];
  const longest = Math.max(...rounds.map(Number));
  return [
    {
      path: [...path, 'remindEvery'],
      rule: 'remind-never-fires',
      message:
        `approval.remindEvery is ${formatDuration(every)} but no round of this approval waits longer than ${formatDuration(longest)}, ` +
        'so no reminder would ever be sent: choose a shorter remindEvery or remove it',
    },
  ];
}

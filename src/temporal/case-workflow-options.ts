/**
 * How every caller (server, CLI, tests) starts a case workflow, so the Web UI always shows the same
 * summary, details and search attributes for it. Only ids, the playbook and the severity appear here:
 * static summaries and search attributes are not encrypted by payload codecs.
 *
 * The start names its playbook's content hash, which a worker compares with its own playbook of that
 * name; a start that adopts a SIR case carries the server's attestation when the caller has decision
 * keys (workers refuse an unattested one unless they trust Temporal access).
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import type { DecisionKeys } from '../attestation/decision-keys';
import type { CasePlaybookInput } from '../domain/case/playbook-input';
import type { Playbook } from '../domain/playbook/playbook';
import { playbookSha256 } from '../domain/playbook/hash';
import { attestedStartOf } from '../domain/case/start-attestation';
import { AlertSeverity, AwaitingApproval, PlaybookName } from '../domain/contract/search-attributes';
import { formatDuration } from '../domain/playbook/duration';
import { TASK_QUEUE, caseWorkflowId } from '../domain/contract/temporal-names';
import type { casePlaybook } from '../../workflows';

/** The API server (or intake) vouching for the starts it makes: its namespace and decision keys. */
export interface StartAttester {
  namespace: string;
  keys: DecisionKeys;
}

export function caseWorkflowOptions(
  input: CasePlaybookInput,
  taskQueue: string = TASK_QUEUE,
  attester?: StartAttester,
): WorkflowStartOptions<typeof casePlaybook> {
  const workflowId = caseWorkflowId(input.fingerprint);
  const sha256 = input.playbookSha256 ?? playbookSha256(input.playbook);
  const attestation =
    attester && input.caseId !== undefined
      ? attester.keys.attestStart(attestedStartOf(input, { namespace: attester.namespace, workflowId, playbookSha256: sha256 }))
      : undefined;
  const subject = input.caseId
    ? `SIR case ${input.caseId}`
    : input.group?.kind === 'storm'
      ? `STORM case: playbook over ${input.playbook.maxNewCasesPerHour} new cases/hour; further alerts of the hour join here`
      : input.group
        ? `grouped SIR case (by ${input.playbook.group?.by.join(', ')}, window ${formatDuration(input.playbook.group?.windowMs ?? 0)}${input.group.window ? ` from ${input.group.window.openedAt} to ${input.group.window.endsAt}` : ''}) from alert ${input.group.first.fingerprint}`
        : `new SIR case for alert ${input.fingerprint}`;
  return {
    taskQueue,
    workflowId,
    args: [{ ...input, playbookSha256: sha256, ...(attestation && { startAttestation: attestation }) }],
    staticSummary: `${subject} · playbook ${input.playbook.name}`,
    staticDetails: describePlaybook(input.playbook),
    typedSearchAttributes: [
      { key: PlaybookName, value: input.playbook.name },
      { key: AwaitingApproval, value: false },
      ...(input.severity !== undefined ? [{ key: AlertSeverity, value: input.severity }] : []),
    ],
  };
}

/** Markdown the Web UI renders under the summary: the playbook's route through the phases. */
export function describePlaybook(playbook: Playbook): string {
  const lines = playbook.steps.map((step, i) => {
    const gate = step.approval ? ` — approval by ${step.approval.approvers.join(', ')}` : '';
    return `${i + 1}. ${step.status}${gate}`;
  });
  if (playbook.close) {
    const gate = playbook.close.approval ? ` — approval by ${playbook.close.approval.approvers.join(', ')}` : '';
    lines.push(`${lines.length + 1}. Closed (CloseCase)${gate}`);
  }
  const limits = [
    ...(playbook.group ? [`Alerts grouped by ${playbook.group.by.join(', ')}; a group's window opens with its first alert and lasts ${formatDuration(playbook.group.windowMs)}.`] : []),
    ...(playbook.maxNewCasesPerHour !== undefined ? [`At most ${playbook.maxNewCasesPerHour} new cases per hour; further alerts join the hour's storm case.`] : []),
  ];
  return [`**Playbook ${playbook.name}**`, '', ...lines, '', `On rejection: ${playbook.onReject === 'close' ? 'close the case' : 'stay and wait for a new request'}.`, ...limits].join('\n');
}

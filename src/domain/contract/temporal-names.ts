/** Names visible to operators and external tooling (SPEC §3); change only when an issue says so. */
export const TASK_QUEUE = 'phasegate';
export const CASE_WORKFLOW_TYPE = 'casePlaybook';
export const CASE_WORKFLOW_ID_PREFIX = 'case-';

export function caseWorkflowId(fingerprint: string): string {
  return `${CASE_WORKFLOW_ID_PREFIX}${fingerprint}`;
}

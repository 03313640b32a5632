export { casePlaybook } from './case-playbook';
export type { CaseOutcome } from './case-playbook';

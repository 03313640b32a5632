export { casePlaybook } from './case-playbook';
export type { CaseOutcome } from './case-playbook';
export { caseRateLimiter } from './case-rate-limiter';
export { alertGroupWindow } from './alert-group-window';

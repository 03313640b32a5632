/**
 * The local SIR API emulator: same routes, status codes and error shapes as AWS Security Incident
 * Response, SigV4 verification, and fault injection for testing retries. Only the CLI and tests
 * import it (SPEC §5).
 */
export { startSandbox, EVENT_WAIT_MS, type SirSandbox } from './server';
export type { CaseChange, CaseChangeResult } from './admin-routes';
export { CASE_EVENT_SOURCE, type CaseEventEnvelope, type CaseEventType, type EventDelivery } from './case-events';
export { SANDBOX_DEFAULT_ACCOUNT_ID, SANDBOX_DEFAULT_CREDENTIALS, type SandboxCredentials, type SandboxEventsOptions, type SandboxOptions, type SandboxLogLevel } from './options';
export { sandboxOptionsFromEnv } from './options-from-env';
export { FaultInjector, type Fault, type FaultTarget, type ArmedFault } from './fault-injector';
export { CallLog, type CallLogEntry, type CallLogFilter } from './call-log';
export type { StoredCase, StoredComment } from './case-store';
export { apiCallerPrincipal, type IllegalTransitionError } from './sir-service';
export { ADMIN_PREFIX } from './admin-routes';

/** The SIR HTTP client: the only names the rest of phasegate imports from src/sir. */
export { type SirClientConfig, resolveSirClientConfig } from './config';
export { defaultSirEndpoint } from './endpoint';
export { type SirCallOptions, SirClient } from './client';
export { SirError } from './sir-error';
export { parseErrorType } from './error-parser';
export type { GetCaseOutput, SirOperation } from './shapes';

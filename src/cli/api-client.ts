/**
 * The CLI's case commands talk to the phasegate API the way gh or kubectl talk to theirs: a URL and a
 * token (PHASEGATE_URL, PHASEGATE_TOKEN). Inside a `phasegate dev` directory both are found in the
 * dev credentials without configuration. The API proves who the person is; the CLI never says so itself.
 */
import type { CaseState } from '../domain/case/state';
import type { DecisionAnswer, TransitionAnswer } from '../domain/contract/messages';
import type { CaseSummary } from '../temporal/case-commands';
import { defaultStateDir } from '../temporal/temporal-cli';
import { readDevCredentials } from './dev-credentials';
import { UsageError } from './usage-error';

export interface ApiTarget {
  url: string;
  token: string;
  /** Where the settings came from, for error messages. */
  source: 'environment' | 'phasegate dev';
}

export async function resolveApiTarget(env: NodeJS.ProcessEnv = process.env): Promise<ApiTarget> {
  const dev = await readDevCredentials(defaultStateDir(env));
  const token = env.PHASEGATE_TOKEN?.trim() || (env.PHASEGATE_USERS ? undefined : dev?.demoToken);
  if (!token) {
    throw new UsageError('no API token: set PHASEGATE_TOKEN (and PHASEGATE_URL), or run the command where `phasegate dev` runs');
  }
  const url = env.PHASEGATE_URL?.trim() || dev?.apiUrl || `http://127.0.0.1:${env.PHASEGATE_PORT?.trim() || '8080'}`;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`PHASEGATE_URL is not a URL: "${url}"`);
  }
  return { url: url.replace(/\/+$/, ''), token, source: env.PHASEGATE_TOKEN?.trim() ? 'environment' : 'phasegate dev' };
}

/** A refusal or failure the API answered, as one line: `refused (409 ApprovalNotPending): …`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class PhasegateApi {
  constructor(private readonly target: ApiTarget) {}

  me(): Promise<{ name: string; groups: string[] }> {
    return this.call('GET', '/v1/me');
  }

  caseState(ref: string): Promise<CaseState> {
    return this.call('GET', `/v1/cases/${encodeURIComponent(ref)}`);
  }

  listCases(query: Record<string, string | undefined>): Promise<{ cases: CaseSummary[] }> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    const qs = params.toString();
    return this.call('GET', `/v1/cases${qs ? `?${qs}` : ''}`);
  }

  decide(ref: string, body: { approvalId: number; decision: 'approve' | 'reject'; comment?: string }): Promise<DecisionAnswer> {
    return this.call('POST', `/v1/cases/${encodeURIComponent(ref)}/decisions`, body);
  }

  transition(ref: string, body: { to: string; reason?: string; requestId: string }): Promise<TransitionAnswer> {
    return this.call('POST', `/v1/cases/${encodeURIComponent(ref)}/transitions`, body);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.target.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.target.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new Error(`cannot reach the phasegate API at ${this.target.url} (${cause}); is \`phasegate dev\` or \`phasegate server\` running? (PHASEGATE_URL)`, { cause: err });
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (response.ok) return json as T;
    const error = json as { error?: string; details?: Array<{ path: string; message: string }> } | undefined;
    const type = error?.details?.find((d) => d.path === 'caseId')?.message;
    const detail = error?.details?.filter((d) => d.path !== 'caseId').map((d) => `${d.path}: ${d.message}`).join('; ');
    throw new ApiError(response.status, type, `${error?.error ?? `HTTP ${response.status}`}${detail ? ` (${detail})` : ''}`);
  }
}

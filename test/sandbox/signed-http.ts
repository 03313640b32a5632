/**
 * Test side of the sandbox's HTTP: requests signed with @smithy/signature-v4 exactly as an AWS SDK
 * client signs them, sent with node:http so a test controls every byte (and can tamper with the
 * request after signing to prove the sandbox notices).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { SANDBOX_DEFAULT_CREDENTIALS, startSandbox, type SandboxCredentials, type SandboxOptions, type SirSandbox } from '../../src/sandbox';

export interface SigningOptions {
  credentials?: SandboxCredentials;
  region?: string;
  service?: string;
  signingDate?: Date;
  /** Whether the signer adds and signs x-amz-content-sha256 (the smithy default does). */
  applyChecksum?: boolean;
  /** Extra headers to send (and sign, unless the signer treats them as unsignable). */
  headers?: Record<string, string>;
  /** Headers to sign even though the signer normally skips them (e.g. user-agent). */
  signableHeaders?: string[];
  /** Leave out the Host header when signing (it is still sent, as HTTP/1.1 requires). */
  omitHostFromSignature?: boolean;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/**
 * The members the tests read from sandbox answers (SIR outputs, SIR errors, admin replies), typed
 * loosely on purpose: which ones an answer carries is exactly what the tests assert, so a member an
 * answer lacks simply reads as undefined.
 */
export interface WireJson {
  [member: string]: unknown;
  caseId: string;
  commentId: string;
  caseStatus: string;
  caseArn: string;
  closedDate: number;
  createdDate: number;
  lastUpdatedDate: number;
  title: string;
  items: WireJson[];
  total: number;
  nextToken: string;
  message: string;
  __type: string;
  reason: string;
  resourceId: string;
  resourceType: string;
  fieldList: Array<{ name: string; message: string }>;
  error: string;
  details: Array<{ path: string; message: string }>;
  calls: Array<{ operation: string; statusCode: number }>;
  faults: unknown[];
}

export interface SirResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body; an empty object when the body is empty or not JSON (see `text`). */
  json: WireJson;
}

export class SignedHttp {
  constructor(
    readonly baseUrl: string,
    private readonly defaults: SigningOptions = {},
  ) {}

  async sign(method: string, path: string, body?: string | Buffer, options: SigningOptions = {}): Promise<RawRequest> {
    const opts = { ...this.defaults, ...options };
    const url = new URL(this.baseUrl);
    const [pathname, query] = path.split('?', 2) as [string, string | undefined];
    const headers: Record<string, string> = { ...(opts.omitHostFromSignature ? {} : { host: url.host }), ...opts.headers };
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const signer = new SignatureV4({
      credentials: opts.credentials ?? SANDBOX_DEFAULT_CREDENTIALS,
      region: opts.region ?? 'us-east-1',
      service: opts.service ?? 'security-ir',
      sha256: Sha256,
      applyChecksum: opts.applyChecksum ?? true,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method,
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: pathname,
        query: query ? Object.fromEntries(new URLSearchParams(query)) : {},
        headers,
        body,
      }),
      { signingDate: opts.signingDate ?? new Date(), ...(opts.signableHeaders && { signableHeaders: new Set(opts.signableHeaders) }) },
    );
    return { method, path, headers: { ...signed.headers, host: url.host }, body };
  }

  /** Signs and sends; `tamper` may change the request after signing. */
  async call(method: string, path: string, body?: unknown, options: SigningOptions & { tamper?: (req: RawRequest) => void } = {}): Promise<SirResponse> {
    const raw = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = await this.sign(method, path, raw, options);
    options.tamper?.(req);
    return this.send(req);
  }

  send(req: RawRequest): Promise<SirResponse> {
    return sendRaw(this.baseUrl, req);
  }

  // The six operations, for tests that are not about signing.
  createCase(input: unknown, options?: SigningOptions): Promise<SirResponse> {
    return this.call('POST', '/v1/create-case', input, options);
  }
  getCase(caseId: string): Promise<SirResponse> {
    return this.call('GET', `/v1/cases/${caseId}/get-case`);
  }
  updateCaseStatus(caseId: string, caseStatus: string): Promise<SirResponse> {
    return this.call('POST', `/v1/cases/${caseId}/update-case-status`, { caseStatus });
  }
  closeCase(caseId: string): Promise<SirResponse> {
    return this.call('POST', `/v1/cases/${caseId}/close-case`);
  }
  listCases(input: { nextToken?: string; maxResults?: number } = {}): Promise<SirResponse> {
    return this.call('POST', '/v1/list-cases', input);
  }
  createComment(caseId: string, input: { body: string; clientToken?: string }): Promise<SirResponse> {
    return this.call('POST', `/v1/cases/${caseId}/create-comment`, input);
  }

  /** Creates a case and returns its id, failing the test if CreateCase does not answer 201. */
  async newCase(overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await this.createCase(caseInput(overrides));
    if (res.status !== 201) throw new Error(`CreateCase answered ${res.status}: ${res.text}`);
    return res.json.caseId;
  }
}

/** Sends a request as given (no signing): for unsigned calls and the admin routes. */
export function sendRaw(baseUrl: string, req: RawRequest): Promise<SirResponse> {
  const url = new URL(req.path, baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: req.method, headers: req.headers, setHost: !('host' in req.headers) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = {} as WireJson;
          try {
            if (text) json = JSON.parse(text) as WireJson;
          } catch {
            // not JSON: tests look at `text`
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    if (req.body !== undefined) outgoing.write(req.body);
    outgoing.end();
  });
}

/** JSON admin call helper. */
export function admin(baseUrl: string, method: string, path: string, body?: unknown): Promise<SirResponse> {
  const headers: Record<string, string> = {};
  let raw: string | undefined;
  if (body !== undefined) {
    raw = typeof body === 'string' ? body : JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  return sendRaw(baseUrl, { method, path: `/__sandbox${path}`, headers, body: raw });
}

/** A valid CreateCase body with timestamps as epoch seconds, as on the wire. */
export function caseInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resolverType: 'Self',
    title: 'GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce',
    description: 'Brute force SSH attempts against an instance in the production account.',
    engagementType: 'Security Incident',
    reportedIncidentStartDate: 1_795_000_000.25,
    impactedAccounts: ['111122223333'],
    watchers: [{ email: 'ir-lead@example.com', name: 'IR Lead' }],
    ...overrides,
  };
}

export interface SandboxTestContext {
  sandbox: SirSandbox;
  http: SignedHttp;
}

export async function startTestSandbox(options: SandboxOptions = {}): Promise<SandboxTestContext> {
  const sandbox = await startSandbox({ port: 0, ...options });
  return { sandbox, http: new SignedHttp(sandbox.url, { region: options.region ?? 'us-east-1' }) };
}

/** The fieldList names of a ValidationException answer, sorted. */
export function fieldNames(res: SirResponse): string[] {
  return (res.json.fieldList ?? []).map((f) => f.name).sort();
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

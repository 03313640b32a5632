/**
 * SigV4 verification the way AWS's front end does it: rebuild the canonical request from what the
 * client says it signed (method, path, query, the SignedHeaders only, the exact body bytes), sign it
 * again with the secret we hold, and compare signatures in constant time.
 *
 * The signing itself is @smithy/signature-v4, the signer the AWS SDKs use, so there is no second
 * implementation of the canonicalisation rules to drift. Its client-side conveniences are turned
 * off for verification: it must neither add headers the client did not sign (x-amz-content-sha256,
 * x-amz-security-token) nor drop ones it did (user-agent and others it normally treats as unsignable).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { authError, type SirHttpError } from './errors';

/** SHA-256 from node:crypto, as the AWS SDK for JavaScript uses in Node (the pure-JS one costs more CPU per call). */
const NODE_SHA256 = Hash.bind(null, 'sha256');

export const SIGNING_SERVICE = 'security-ir';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

export interface VerifierCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4VerifierOptions {
  region: string;
  credentials: readonly VerifierCredentials[];
  maxClockSkewSeconds: number;
  /** The verifier's clock (ms since the epoch); default the host's. A clock-skew fault moves it. */
  now?: () => number;
}

/** The parts of an HTTP request a signature covers, as received (path still percent-encoded). */
export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as on the request line. */
  url: string;
  headers: Readonly<Record<string, string[] | undefined>>;
  body: Buffer;
}

export type Verification =
  | { ok: true; accessKeyId: string }
  /** `accessKeyId` is the key the request claimed, when it got that far: useful in call logs. */
  | { ok: false; error: SirHttpError; accessKeyId?: string };

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
  signedHeaders: string[];
  signature: string;
}

interface KnownKey {
  credentials: VerifierCredentials;
  signer: SignatureV4;
}

export class SigV4Verifier {
  private readonly keys = new Map<string, KnownKey>();

  constructor(private readonly options: SigV4VerifierOptions) {
    for (const credentials of options.credentials) {
      const signer = new SignatureV4({
        // Without the session token: whether the client signed x-amz-security-token is its choice,
        // and the signer would otherwise add the header to the canonical request regardless.
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
        region: options.region,
        service: SIGNING_SERVICE,
        sha256: NODE_SHA256,
        applyChecksum: false,
        uriEscapePath: true,
      });
      this.keys.set(credentials.accessKeyId, { credentials, signer });
    }
  }

  async verify(request: ReceivedRequest): Promise<Verification> {
    const authorization = single(request.headers, 'authorization');
    if (authorization === undefined) {
      return { ok: false, error: authError('MissingAuthenticationTokenException', 'Missing Authentication Token') };
    }
    const parsed = parseAuthorization(authorization);
    if ('error' in parsed) return { ok: false, error: parsed.error };
    const { accessKeyId } = parsed;
    const fail = (error: SirHttpError): Verification => ({ ok: false, error, accessKeyId });

    const key = this.keys.get(accessKeyId);
    if (!key) return fail(unrecognizedClient());
    const sessionToken = single(request.headers, 'x-amz-security-token');
    if (!sameSecret(sessionToken, key.credentials.sessionToken)) return fail(unrecognizedClient());

    const amzDate = single(request.headers, 'x-amz-date');
    if (amzDate === undefined) {
      return fail(invalidSignature("Authorization header requires existence of the 'X-Amz-Date' header (the sandbox does not accept 'Date' instead)."));
    }
    const signingDate = parseAmzDate(amzDate);
    if (!signingDate) return fail(invalidSignature(`X-Amz-Date '${amzDate}' is not in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.`));

    const scopeProblem = this.checkScope(parsed, amzDate);
    if (scopeProblem) return fail(invalidSignature(scopeProblem));
    const skewProblem = this.checkClockSkew(signingDate, amzDate);
    if (skewProblem) return fail(invalidSignature(skewProblem));

    const headerProblem = checkSignedHeaders(parsed.signedHeaders, request.headers);
    if (headerProblem) return fail(invalidSignature(headerProblem));
    // The signer trusts this header as the payload hash, so it must be checked against the body
    // here, or a client could sign one body and send another.
    const declaredHash = single(request.headers, 'x-amz-content-sha256');
    if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(request.body).digest('hex')) {
      return fail(invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed."));
    }

    const expected = await this.expectedSignature(key.signer, request, parsed.signedHeaders, signingDate);
    if (!SIGNATURE.test(parsed.signature) || !timingSafeEqual(Buffer.from(expected), Buffer.from(parsed.signature))) {
      return fail(
        invalidSignature(
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        ),
      );
    }
    return { ok: true, accessKeyId };
  }

  private checkScope(auth: ParsedAuthorization, amzDate: string): string | undefined {
    if (auth.scopeTerminator !== TERMINATOR) {
      return `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${auth.scopeTerminator}'.`;
    }
    if (auth.scopeService !== SIGNING_SERVICE) {
      return `Credential should be scoped to correct service: '${SIGNING_SERVICE}', not '${auth.scopeService}'.`;
    }
    if (auth.scopeRegion !== this.options.region) {
      return `Credential should be scoped to a valid region: '${this.options.region}', not '${auth.scopeRegion}'.`;
    }
    if (auth.scopeDate !== amzDate.slice(0, 8)) {
      return `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`;
    }
    return undefined;
  }

  private checkClockSkew(signingDate: Date, amzDate: string): string | undefined {
    const skewMs = this.options.maxClockSkewSeconds * 1000;
    const now = this.options.now?.() ?? Date.now();
    const window = describeSeconds(this.options.maxClockSkewSeconds);
    if (signingDate.getTime() < now - skewMs) {
      return `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - skewMs)} (${formatAmzDate(now)} - ${window}.)`;
    }
    if (signingDate.getTime() > now + skewMs) {
      return `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + skewMs)} (${formatAmzDate(now)} + ${window}.)`;
    }
    return undefined;
  }

  private async expectedSignature(signer: SignatureV4, request: ReceivedRequest, signedHeaders: string[], signingDate: Date): Promise<string> {
    const queryStart = request.url.indexOf('?');
    const path = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
    const rebuilt = new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: single(request.headers, 'host') ?? '',
      path,
      query: queryStart < 0 ? {} : parseQuery(request.url.slice(queryStart + 1)),
      headers: Object.fromEntries(signedHeaders.map((name) => [name, (request.headers[name] ?? []).join(',')])),
      body: request.body.length > 0 ? request.body : undefined,
    });
    const signed = await signer.sign(rebuilt, { signingDate, signableHeaders: new Set(signedHeaders) });
    const match = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? '');
    if (!match) throw new Error('@smithy/signature-v4 produced no signature');
    return match[1]!;
  }
}

function parseAuthorization(header: string): ParsedAuthorization | { error: SirHttpError } {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) {
    return { error: authError('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${algorithm}'; only '${ALGORITHM}' is accepted.`) };
  }
  const params = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !params.get(name));
  if (missing.length > 0) {
    const message = missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ');
    return { error: authError('IncompleteSignatureException', `${message} Authorization=${redactSignature(header)}`) };
  }
  const credential = params.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((part) => part.length === 0)) {
    return {
      error: authError(
        'IncompleteSignatureException',
        `Credential must have exactly 5 slash-separated parts: <access key>/<YYYYMMDD>/<region>/<service>/${TERMINATOR}.`,
      ),
    };
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator] = credential as [string, string, string, string, string];
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    scopeTerminator,
    signedHeaders: params.get('SignedHeaders')!.split(';').map((h) => h.trim().toLowerCase()),
    signature: params.get('Signature')!,
  };
}

function checkSignedHeaders(signedHeaders: readonly string[], headers: ReceivedRequest['headers']): string | undefined {
  if (!signedHeaders.includes('host')) return "'Host' must be a 'SignedHeader' in the AWS Authorization.";
  if (!signedHeaders.includes('x-amz-date')) return "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.";
  const absent = signedHeaders.filter((name) => headers[name] === undefined);
  if (absent.length > 0) return `Signed header(s) missing from the request: ${absent.join(', ')}.`;
  return undefined;
}

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 20240230 over to March; a real timestamp must survive the round trip.
  return formatAmzDate(date.getTime()) === value ? date : undefined;
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function describeSeconds(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/** Query values decoded, because the signer percent-encodes them again when canonicalising. */
function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = safeDecode(eq < 0 ? '' : pair.slice(eq + 1));
    const prior = out[key];
    out[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}

function safeDecode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

function single(headers: ReceivedRequest['headers'], name: string): string | undefined {
  const values = headers[name];
  return values === undefined || values.length === 0 ? undefined : values.join(',');
}

function sameSecret(received: string | undefined, expected: string | undefined): boolean {
  if (received === undefined || expected === undefined) return received === expected;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function redactSignature(header: string): string {
  return header.replace(/Signature=[^,\s]*/, 'Signature=<redacted>');
}

function unrecognizedClient(): SirHttpError {
  return authError('UnrecognizedClientException', 'The security token included in the request is invalid.');
}

function invalidSignature(message: string): SirHttpError {
  return authError('InvalidSignatureException', message);
}

/**
 * The SIR client: a hand-built restJson1 + SigV4 client for the six operations phasegate uses, since
 * `@aws-sdk/client-security-ir` is not available to us. Retrying is the caller's job (Temporal's
 * activity retry policy), steered by `SirError.retryable` and `retryAfterSeconds`; the one exception
 * is a second attempt right after a clock-skew or expired-credentials refusal that the client has
 * corrected itself (see `call`).
 */
import { randomUUID } from 'node:crypto';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import type { SelfManagedStatus } from '../domain/case/status';
import { CLOCK_SKEW_ERROR_TYPES, isClockSkewFailure, isExpiredCredentialsFailure, TRANSIENT_ERROR_TYPE } from '../domain/sir-api/errors';
import { DEFAULT_REQUEST_TIMEOUT_MS, type SirClientConfig } from './config';
import { assertValidRegion, defaultSirEndpoint, parseSirEndpoint, type SirEndpoint } from './endpoint';
import { requestIdOf, sirErrorFromResponse } from './error-parser';
import { HttpTransport, TransportError, type RawResponse } from './http-transport';
import { encodeLabel, OPERATIONS, type OperationBinding } from './operations';
import { RequestSigner, type SignedRequest } from './request-signer';
import type {
  CloseCaseOutput,
  CreateCaseCommentInput,
  CreateCaseCommentOutput,
  CreateCaseInput,
  CreateCaseOutput,
  GetCaseOutput,
  ListCasesInput,
  ListCasesOutput,
  SirOperation,
  UpdateCaseStatusOutput,
} from './shapes';
import { SirError, UNEXPECTED_RESPONSE_TYPE } from './sir-error';
import { decodeBody, toWire, WireCodecError } from './wire-codec';

const USER_AGENT = `phasegate-sir-client node/${process.versions.node}`;

interface CallInput {
  caseId?: string;
  /** The body members; only those the operation models are sent. */
  body?: object;
}

/** Per call: an AbortSignal stops the request in flight (an activity cancelled or timed out). */
export interface SirCallOptions {
  abortSignal?: AbortSignal;
}

export class SirClient {
  private readonly endpoint: SirEndpoint;
  private readonly signer: RequestSigner;
  private readonly transport: HttpTransport;

  constructor(config: SirClientConfig) {
    assertValidRegion(config.region);
    this.endpoint = parseSirEndpoint(config.endpoint ?? defaultSirEndpoint(config.region));
    const timeoutMs = config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`requestTimeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
    }
    // STS calls made by the chain (assume-role, web identity) stay in the client's region and partition.
    const credentials = config.credentials ?? fromNodeProviderChain({ clientConfig: { region: config.region } });
    this.signer = new RequestSigner(config.region, credentials);
    this.transport = new HttpTransport(timeoutMs);
  }

  /** Sends a fresh UUID as `clientToken` when none is given, as the SDKs do for idempotency tokens. */
  createCase(input: CreateCaseInput, options?: SirCallOptions): Promise<CreateCaseOutput> {
    return this.call('CreateCase', { body: { ...input, clientToken: input.clientToken ?? randomUUID() } }, options);
  }

  getCase(caseId: string, options?: SirCallOptions): Promise<GetCaseOutput> {
    return this.call('GetCase', { caseId }, options);
  }

  updateCaseStatus(caseId: string, caseStatus: SelfManagedStatus, options?: SirCallOptions): Promise<UpdateCaseStatusOutput> {
    return this.call('UpdateCaseStatus', { caseId, body: { caseStatus } }, options);
  }

  closeCase(caseId: string, options?: SirCallOptions): Promise<CloseCaseOutput> {
    return this.call('CloseCase', { caseId }, options);
  }

  async listCases(input: ListCasesInput = {}): Promise<ListCasesOutput> {
    const out = await this.call<Omit<ListCasesOutput, 'items'> & { items?: ListCasesOutput['items'] }>('ListCases', { body: input });
    // The model leaves `items` optional; an empty page is still a page.
    return { ...out, items: out.items ?? [] };
  }

  /** Sends a fresh UUID as `clientToken` when none is given, as the SDKs do for idempotency tokens. */
  createCaseComment(input: CreateCaseCommentInput, options?: SirCallOptions): Promise<CreateCaseCommentOutput> {
    return this.call(
      'CreateCaseComment',
      {
        caseId: input.caseId,
        body: { clientToken: input.clientToken ?? randomUUID(), body: input.body },
      },
      options,
    );
  }

  private async call<O>(operation: SirOperation, input: CallInput, options: SirCallOptions = {}): Promise<O> {
    const binding = OPERATIONS[operation];
    const request = this.buildRequest(operation, binding, input);

    // One more attempt, at most, and only after a refusal this client has just fixed itself (its clock,
    // its credentials), as the AWS SDKs do: waiting for the caller's backoff would only delay a request
    // that is now certain to be signed right. Everything else is left to the caller's retry policy.
    let recovered = false;
    for (;;) {
      const { response, signed } = await this.attempt(operation, request, options.abortSignal);
      if (response.statusCode === binding.successCode) return this.decode<O>(operation, binding, response);
      if (response.statusCode < 300) throw this.unexpected(operation, response, `expected HTTP ${binding.successCode}, got ${response.statusCode}`);
      const error = sirErrorFromResponse(operation, response);
      if (!recovered && (await this.recoverable(error, signed))) {
        recovered = true;
        continue;
      }
      throw error;
    }
  }

  private async attempt(operation: SirOperation, request: HttpRequest, abortSignal?: AbortSignal): Promise<{ response: RawResponse; signed: SignedRequest }> {
    let signed: SignedRequest;
    try {
      signed = await this.signer.sign(request);
    } catch (err) {
      // Not a SirError: no request was sent, and a credentials outage (IMDS, an expired SSO session)
      // should be retried like any unexpected failure, not fail the workflow as a SIR refusal would.
      throw new Error(`SIR ${operation}: could not resolve AWS credentials to sign the request: ${errorMessage(err)}`, { cause: err });
    }

    let response: RawResponse;
    try {
      response = await this.transport.send(signed.request, abortSignal);
    } catch (err) {
      if (err instanceof TransportError) {
        throw new SirError({ type: TRANSIENT_ERROR_TYPE, sirMessage: err.message, operation, cause: err });
      }
      throw err;
    }
    this.signer.observeServerDate(response.headers.date, Date.now(), response.headers.age);
    return { response, signed };
  }

  /**
   * Whether `error` is a refusal the signer can now avoid: a clock-skew code answered while the signing
   * clock moved (this answer's Date, or a concurrent one, corrected it), or expired credentials the
   * provider chain has just replaced with others.
   */
  private async recoverable(error: SirError, signed: SignedRequest): Promise<boolean> {
    if (isClockSkewFailure(error.type, error.sirMessage) || CLOCK_SKEW_ERROR_TYPES.has(error.type)) {
      return this.signer.clockOffsetMs !== signed.clockOffsetMs;
    }
    if (isExpiredCredentialsFailure(error.type)) return this.signer.refreshCredentials(signed.identity);
    return false;
  }

  private decode<O>(operation: SirOperation, binding: OperationBinding, response: RawResponse): O {
    try {
      return decodeBody(binding.output, response.body) as O;
    } catch (err) {
      if (err instanceof WireCodecError) throw this.unexpected(operation, response, `the response does not fit the model: ${err.message}`);
      throw err;
    }
  }

  private buildRequest(operation: SirOperation, binding: OperationBinding, input: CallInput): HttpRequest {
    let path = binding.route;
    if (path.includes('{caseId}')) {
      if (typeof input.caseId !== 'string' || input.caseId === '') {
        throw rejectedBeforeSending(operation, 'caseId', 'must be a non-empty string');
      }
      path = path.replace('{caseId}', encodeLabel(input.caseId));
    }

    const headers: Record<string, string> = { host: this.endpoint.host, 'user-agent': USER_AGENT };
    let body: string | undefined;
    if (binding.input) {
      let wire: unknown;
      try {
        wire = toWire(binding.input, input.body ?? {});
      } catch (err) {
        if (err instanceof WireCodecError) throw rejectedBeforeSending(operation, err.path, err.problem);
        throw err;
      }
      body = JSON.stringify(wire);
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }

    return new HttpRequest({
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      ...(this.endpoint.port === undefined ? {} : { port: this.endpoint.port }),
      method: binding.method,
      path: `${this.endpoint.basePath}${path}`,
      headers,
      ...(body === undefined ? {} : { body }),
    });
  }

  private unexpected(operation: SirOperation, response: RawResponse, problem: string): SirError {
    return new SirError({
      type: UNEXPECTED_RESPONSE_TYPE,
      sirMessage: problem,
      operation,
      httpStatus: response.statusCode,
      requestId: requestIdOf(response.headers),
    });
  }
}

/**
 * Input that cannot be put on the wire faithfully (an Invalid Date would become null, for one). Typed as
 * the service would type it, so callers handle it like the service's own ValidationException.
 */
function rejectedBeforeSending(operation: SirOperation, member: string, problem: string): SirError {
  return new SirError({
    type: 'ValidationException',
    sirMessage: `rejected before sending: ${member || 'input'} ${problem}`,
    operation,
    reason: 'FIELD_VALIDATION_FAILED',
    fieldList: [{ name: member || 'input', message: problem }],
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * SigV4 for SIR requests (reference §8), with the two corrections the AWS SDKs make between attempts:
 * the signing clock follows the service's (AWS rejects signatures more than five minutes off its
 * clock, and a host with a drifting clock would otherwise fail every call until someone fixes NTP),
 * and expired temporary credentials are fetched again from the provider chain.
 */
import { Hash } from '@smithy/hash-node';
import type { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SIR_SIGNING_NAME } from './endpoint';

/** SHA-256 from node:crypto, as the AWS SDK for JavaScript uses in Node (the pure-JS one costs more CPU per call). */
const NODE_SHA256 = Hash.bind(null, 'sha256');

/** The AWS SDK's threshold: below it a skew is harmless, above it AWS refuses the signature. */
const CLOCK_SKEW_TOLERANCE_MS = 5 * 60 * 1000;

/** A signed request and what it was signed with, so a refusal can be matched to its cause. */
export interface SignedRequest {
  request: HttpRequest;
  /** The credentials that signed it (never logged; compared by identity only). */
  identity: AwsCredentialIdentity;
  /** The clock offset it was signed with. */
  clockOffsetMs: number;
}

export class RequestSigner {
  private readonly provider: AwsCredentialIdentityProvider;
  /** A fixed identity cannot be refreshed; asking again would only return the same keys. */
  private readonly refreshable: boolean;
  private current: { identity: AwsCredentialIdentity; signer: SignatureV4 } | undefined;
  /** Server time minus local time, once a response showed our clock to be off. */
  private offsetMs = 0;

  constructor(
    private readonly region: string,
    credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  ) {
    // The provider is asked on every request, so rotated or refreshed credentials (the default chain
    // memoizes and refreshes before expiry) are picked up without rebuilding the client.
    if (typeof credentials === 'function') {
      this.provider = credentials;
      this.refreshable = true;
    } else {
      this.provider = () => Promise.resolve(credentials);
      this.refreshable = false;
    }
  }

  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  /** Adds x-amz-date, x-amz-content-sha256, x-amz-security-token (temporary credentials) and Authorization. */
  async sign(request: HttpRequest): Promise<SignedRequest> {
    const identity = await this.provider();
    const clockOffsetMs = this.offsetMs;
    // The signer clones its input with HttpRequest.clone, so the result is the class the handler takes.
    const signed = (await this.signerFor(identity).sign(request, { signingDate: new Date(Date.now() + clockOffsetMs) })) as HttpRequest;
    return { request: signed, identity, clockOffsetMs };
  }

  /**
   * Feeds the `Date` header of any response (errors included) back into the signing clock. A response
   * with an `Age` header came from a cache, so its Date says nothing about the service's clock now.
   */
  observeServerDate(dateHeader: string | undefined, receivedAtMs = Date.now(), ageHeader?: string): void {
    if (!dateHeader || ageHeader !== undefined) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    if (Math.abs(serverMs - (receivedAtMs + this.offsetMs)) >= CLOCK_SKEW_TOLERANCE_MS) {
      this.offsetMs = serverMs - receivedAtMs;
    }
  }

  /**
   * Forces the provider to fetch credentials again (the memoized default chain honours
   * `forceRefresh`), as the SDKs do when the service says the token expired. True when the next
   * request will be signed with credentials other than `expired`, i.e. when another try can help.
   */
  async refreshCredentials(expired: AwsCredentialIdentity): Promise<boolean> {
    if (!this.refreshable) return false;
    let fresh: AwsCredentialIdentity;
    try {
      fresh = await this.provider({ forceRefresh: true });
    } catch {
      // The chain cannot deliver right now (IMDS down, SSO login needed): the caller reports the
      // original ExpiredTokenException, which names the real problem, and the next attempt asks again.
      return false;
    }
    return !sameCredentials(fresh, expired);
  }

  private signerFor(identity: AwsCredentialIdentity): SignatureV4 {
    if (this.current?.identity !== identity) {
      this.current = { identity, signer: new SignatureV4({ service: SIR_SIGNING_NAME, region: this.region, credentials: identity, sha256: NODE_SHA256 }) };
    }
    return this.current.signer;
  }
}

function sameCredentials(a: AwsCredentialIdentity, b: AwsCredentialIdentity): boolean {
  return a.accessKeyId === b.accessKeyId && a.secretAccessKey === b.secretAccessKey && a.sessionToken === b.sessionToken;
}

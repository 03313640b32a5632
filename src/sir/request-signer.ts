/**
 * SigV4 for SIR requests (reference §8), with the AWS SDK's clock-skew correction: AWS rejects
 * signatures more than five minutes off its clock, and a host with a drifting clock would otherwise
 * fail every call until someone fixes NTP.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import type { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SIR_SIGNING_NAME } from './endpoint';

/** The AWS SDK's threshold: below it a skew is harmless, above it AWS refuses the signature. */
const CLOCK_SKEW_TOLERANCE_MS = 5 * 60 * 1000;

export class RequestSigner {
  private readonly signer: SignatureV4;
  /** Server time minus local time, once a response showed our clock to be off. */
  private clockOffsetMs = 0;

  constructor(region: string, credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider) {
    // The signer calls a provider on every request, so rotated or refreshed credentials (the default
    // chain memoizes and refreshes before expiry) are picked up without rebuilding the client.
    this.signer = new SignatureV4({ service: SIR_SIGNING_NAME, region, credentials, sha256: Sha256 });
  }

  /** Adds x-amz-date, x-amz-content-sha256, x-amz-security-token (temporary credentials) and Authorization. */
  async sign(request: HttpRequest): Promise<HttpRequest> {
    // The signer clones its input with HttpRequest.clone, so the result is the class the handler takes.
    return (await this.signer.sign(request, { signingDate: new Date(Date.now() + this.clockOffsetMs) })) as HttpRequest;
  }

  /** Feeds the `Date` header of any response back into the signing clock. */
  observeServerDate(dateHeader: string | undefined, receivedAtMs = Date.now()): void {
    if (!dateHeader) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    if (Math.abs(serverMs - (receivedAtMs + this.clockOffsetMs)) >= CLOCK_SKEW_TOLERANCE_MS) {
      this.clockOffsetMs = serverMs - receivedAtMs;
    }
  }
}

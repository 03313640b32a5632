/**
 * Where SIR requests go. The service is dual-stack only (reference §1.1): there is no
 * `security-ir.<region>.amazonaws.com`, so the usual SDK host pattern would not resolve.
 */

/** SigV4 signing name and the host label of the default endpoints. */
export const SIR_SIGNING_NAME = 'security-ir';

/** A region becomes a DNS label of the endpoint, so it must be one (the SDK checks the same pattern). */
const REGION_PATTERN = /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9])$/;

export function assertValidRegion(region: string): void {
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
    throw new Error(`Invalid region ${JSON.stringify(region)}: expected a region name such as us-east-1`);
  }
}

/**
 * The model's endpoint rules without FIPS: the partition's dual-stack DNS suffix, which is
 * `api.amazonwebservices.com.cn` in China and `api.aws` in every other partition we know the service in
 * (commercial and GovCloud).
 */
export function defaultSirEndpoint(region: string): string {
  assertValidRegion(region);
  const dnsSuffix = region.startsWith('cn-') ? 'api.amazonwebservices.com.cn' : 'api.aws';
  return `https://${SIR_SIGNING_NAME}.${region}.${dnsSuffix}`;
}

export interface SirEndpoint {
  protocol: 'http:' | 'https:';
  /** As the URL spells it, so an IPv6 literal keeps its brackets. */
  hostname: string;
  /** Absent for the scheme's default port. */
  port?: number;
  /** The Host header: hostname plus the port when it is not the default one (SigV4 signs it). */
  host: string;
  /** A path prefix ('' or '/prefix'), for endpoints behind a gateway or emulator that mounts the API below the root. */
  basePath: string;
}

export function parseSirEndpoint(endpoint: string): SirEndpoint {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new Error(`Invalid SIR endpoint ${JSON.stringify(endpoint)}: not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Invalid SIR endpoint: the scheme must be http or https, got ${url.protocol}`);
  }
  if (url.username || url.password) {
    // Not echoed: the user-info part may hold a secret.
    throw new Error('Invalid SIR endpoint: user info in the URL is not supported (requests are signed with SigV4)');
  }
  if (url.search || url.hash) {
    throw new Error(`Invalid SIR endpoint ${JSON.stringify(url.origin + url.pathname)}: a query string or fragment is not supported`);
  }
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

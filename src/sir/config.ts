/**
 * SIR client configuration and its resolution from the standard AWS environment (SPEC §3), so the
 * same build talks to real AWS, LocalStack-style emulators or the sandbox without code changes.
 */
import { NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from '@smithy/config-resolver';
import { loadConfig } from '@smithy/node-config-provider';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { assertValidRegion, parseSirEndpoint } from './endpoint';

export interface SirClientConfig {
  region: string;
  /** Overrides the default `https://security-ir.<region>.api.aws`; may carry a path prefix. */
  endpoint?: string;
  /** Default: the Node provider chain of `@aws-sdk/credential-providers` (env, SSO, profiles, IMDS, ...). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Budget for one whole request (connect, send, response headers and body). Default 30 000. */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The standard service-specific variable: `AWS_ENDPOINT_URL_` + the sdkId ("Security IR") in upper snake case. */
export const SERVICE_ENDPOINT_ENV = 'AWS_ENDPOINT_URL_SECURITY_IR';
export const GLOBAL_ENDPOINT_ENV = 'AWS_ENDPOINT_URL';

/**
 * Region and endpoint from the environment. Credentials are left to the client's default chain, which
 * resolves (and refreshes) them per request.
 */
export async function resolveSirClientConfig(env: NodeJS.ProcessEnv = process.env): Promise<SirClientConfig> {
  const region = await resolveRegion(env);
  const endpoint = configuredEndpoint(env);
  return endpoint === undefined ? { region } : { region, endpoint };
}

/**
 * AWS_REGION, then AWS_DEFAULT_REGION (the CLI's name, which the JS SDK ignores but operators set), then
 * the profile's `region` in the shared files, then the EC2 instance's region (the SDK's own fallback).
 * Read from `env` rather than process.env, which is all the SDK's loader looks at.
 */
async function resolveRegion(env: NodeJS.ProcessEnv): Promise<string> {
  const profile = nonEmpty(env.AWS_PROFILE);
  const fromEnv = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const configFilepath = nonEmpty(env.AWS_CONFIG_FILE);
  const filepath = nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE);
  const imdsDisabled = nonEmpty(env.AWS_EC2_METADATA_DISABLED) !== undefined;

  const loadRegion = loadConfig<string>(
    {
      environmentVariableSelector: () => fromEnv,
      configFileSelector: NODE_REGION_CONFIG_OPTIONS.configFileSelector,
      default: imdsDisabled
        ? () => Promise.reject(new Error('no region in the environment or the shared config files'))
        : NODE_REGION_CONFIG_OPTIONS.default,
    },
    {
      ...NODE_REGION_CONFIG_FILE_OPTIONS,
      // Explicit even when unset, or the loader would fall back to process.env.AWS_PROFILE.
      profile: profile ?? 'default',
      ...(configFilepath ? { configFilepath } : {}),
      ...(filepath ? { filepath } : {}),
    },
  );

  let region: string;
  try {
    region = (await loadRegion()).trim();
  } catch {
    region = '';
  }
  if (region === '') {
    throw new Error(
      `Missing Region: set AWS_REGION (or AWS_DEFAULT_REGION), or a region in the AWS shared config profile "${profile ?? 'default'}"`,
    );
  }
  assertValidRegion(region);
  return region;
}

/** The standard endpoint variables, honouring the SDK's switch to ignore them. */
function configuredEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (nonEmpty(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)?.toLowerCase() === 'true') return undefined;
  for (const name of [SERVICE_ENDPOINT_ENV, GLOBAL_ENDPOINT_ENV]) {
    const value = nonEmpty(env[name]);
    if (value === undefined) continue;
    try {
      parseSirEndpoint(value);
    } catch (err) {
      // Fail at startup, naming the variable, rather than on the first SIR call.
      throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return value;
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

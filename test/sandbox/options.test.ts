/**
 * Configuration: environment variables for `phasegate sandbox`, and the option checks that turn a
 * misconfiguration into an error at start rather than a 403 on every call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SANDBOX_DEFAULT_CREDENTIALS, sandboxOptionsFromEnv, startSandbox, type SandboxOptions } from '../../src/sandbox';
import { SignedHttp } from './signed-http';

describe('sandboxOptionsFromEnv', () => {
  it('returns nothing for an empty environment, so defaults apply', () => {
    assert.deepEqual(sandboxOptionsFromEnv({}), {});
  });

  it('reads every PHASEGATE_SANDBOX_* variable', () => {
    const options = sandboxOptionsFromEnv({
      PHASEGATE_SANDBOX_PORT: '4566',
      PHASEGATE_SANDBOX_HOST: '0.0.0.0',
      PHASEGATE_SANDBOX_REGION: 'eu-west-1',
      AWS_REGION: 'us-west-2',
      PHASEGATE_SANDBOX_ACCESS_KEY_ID: 'AKIAFROMENVIRONMENT1',
      PHASEGATE_SANDBOX_SECRET_ACCESS_KEY: 'env/secret',
      PHASEGATE_SANDBOX_STATE_FILE: '/tmp/state.json',
      PHASEGATE_SANDBOX_ILLEGAL_TRANSITION: 'ValidationException',
      PHASEGATE_SANDBOX_LOG_LEVEL: 'info',
    });
    assert.deepEqual(options, {
      port: 4566,
      host: '0.0.0.0',
      region: 'eu-west-1',
      credentials: [{ accessKeyId: 'AKIAFROMENVIRONMENT1', secretAccessKey: 'env/secret' }],
      persistFile: '/tmp/state.json',
      illegalTransitionError: 'ValidationException',
      logLevel: 'info',
    });
  });

  it('falls back to AWS_REGION', () => {
    assert.equal(sandboxOptionsFromEnv({ AWS_REGION: 'ap-southeast-2' }).region, 'ap-southeast-2');
  });

  it('refuses half a key pair without naming the secret', () => {
    assert.throws(
      () => sandboxOptionsFromEnv({ PHASEGATE_SANDBOX_SECRET_ACCESS_KEY: 'top-secret-value' }),
      (err: Error) => /set both/.test(err.message) && !err.message.includes('top-secret-value'),
    );
  });

  it('refuses a bad port, transition error or log level', () => {
    assert.throws(() => sandboxOptionsFromEnv({ PHASEGATE_SANDBOX_PORT: 'http' }), /PHASEGATE_SANDBOX_PORT/);
    assert.throws(() => sandboxOptionsFromEnv({ PHASEGATE_SANDBOX_PORT: '70000' }), /PHASEGATE_SANDBOX_PORT/);
    assert.throws(() => sandboxOptionsFromEnv({ PHASEGATE_SANDBOX_ILLEGAL_TRANSITION: 'Conflict' }), /PHASEGATE_SANDBOX_ILLEGAL_TRANSITION/);
    assert.throws(() => sandboxOptionsFromEnv({ PHASEGATE_SANDBOX_LOG_LEVEL: 'loud' }), /PHASEGATE_SANDBOX_LOG_LEVEL/);
  });

  it('configures a sandbox that accepts the environment’s key and only that key', async () => {
    const options = sandboxOptionsFromEnv({
      PHASEGATE_SANDBOX_ACCESS_KEY_ID: 'AKIAFROMENVIRONMENT1',
      PHASEGATE_SANDBOX_SECRET_ACCESS_KEY: 'env/secret/for/the/sandbox/test/0000000',
      PHASEGATE_SANDBOX_REGION: 'eu-west-1',
    });
    const sandbox = await startSandbox({ ...options, port: 0 });
    try {
      const envKey = new SignedHttp(sandbox.url, { region: 'eu-west-1', credentials: options.credentials![0] });
      assert.equal((await envKey.listCases()).status, 200);
      const defaultKey = new SignedHttp(sandbox.url, { region: 'eu-west-1', credentials: SANDBOX_DEFAULT_CREDENTIALS });
      assert.equal((await defaultKey.listCases()).json.__type, 'UnrecognizedClientException');
    } finally {
      await sandbox.close();
    }
  });
});

describe('startSandbox option checks', () => {
  const invalid: Array<[string, SandboxOptions, RegExp]> = [
    ['an account id that is not 12 digits', { accountId: '12345' }, /accountId/],
    ['a region name that is not one', { region: 'moon-1' }, /not an AWS region/],
    ['no credentials', { credentials: [] }, /at least one/],
    ['a key configured twice', { credentials: [SANDBOX_DEFAULT_CREDENTIALS, SANDBOX_DEFAULT_CREDENTIALS] }, /configured twice/],
    ['a credential without secret', { credentials: [{ accessKeyId: 'AKIAX', secretAccessKey: '' }] }, /secretAccessKey/],
    ['a port out of range', { port: 70000 }, /port/],
    ['a non-positive clock skew', { maxClockSkewSeconds: 0 }, /maxClockSkewSeconds/],
  ];
  for (const [label, options, message] of invalid) {
    it(`rejects ${label}`, async () => {
      await assert.rejects(startSandbox(options), message);
    });
  }

  it('defaults to 127.0.0.1, a random port and us-east-1 with the well-known key pair', async () => {
    const sandbox = await startSandbox();
    try {
      assert.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await new SignedHttp(sandbox.url).listCases();
      assert.equal(res.status, 200);
      assert.equal(SANDBOX_DEFAULT_CREDENTIALS.accessKeyId, 'AKIAPHASEGATESANDBOX');
    } finally {
      await sandbox.close();
    }
  });
});

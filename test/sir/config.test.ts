import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultSirEndpoint, resolveSirClientConfig, SirClient } from '../../src/sir';
import { FakeSirServer, TEST_CREDENTIALS } from './fake-sir-server';

describe('defaultSirEndpoint', () => {
  const cases: [string, string][] = [
    ['us-east-1', 'https://security-ir.us-east-1.api.aws'],
    ['eu-central-1', 'https://security-ir.eu-central-1.api.aws'],
    ['ap-southeast-4', 'https://security-ir.ap-southeast-4.api.aws'],
    ['us-gov-west-1', 'https://security-ir.us-gov-west-1.api.aws'],
    ['cn-northwest-1', 'https://security-ir.cn-northwest-1.api.amazonwebservices.com.cn'],
    ['cn-north-1', 'https://security-ir.cn-north-1.api.amazonwebservices.com.cn'],
  ];
  for (const [region, endpoint] of cases) {
    it(`${region} → ${endpoint}`, () => assert.equal(defaultSirEndpoint(region), endpoint));
  }

  it('refuses a region that is not a DNS label', () => {
    for (const region of ['', 'us-east-1.evil.example', 'us east 1', 'us-east-1/', '-us-east-1']) {
      assert.throws(() => defaultSirEndpoint(region), /Invalid region/, region);
    }
  });
});

describe('resolveSirClientConfig', () => {
  let dir: string;
  /** An environment that cannot see this machine's ~/.aws files or the EC2 metadata service. */
  let hermetic: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phasegate-sir-config-'));
    await writeFile(join(dir, 'empty-config'), '');
    await writeFile(
      join(dir, 'config'),
      ['[default]', 'region = ap-southeast-2', '', '[profile incident]', 'region = eu-north-1', '', '[profile no-region]', 'output = json', ''].join('\n'),
    );
    hermetic = {
      AWS_CONFIG_FILE: join(dir, 'empty-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-such-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes AWS_REGION and uses the default endpoint', async () => {
    assert.deepEqual(await resolveSirClientConfig({ ...hermetic, AWS_REGION: 'eu-west-1' }), { region: 'eu-west-1' });
  });

  it('falls back to AWS_DEFAULT_REGION, after AWS_REGION', async () => {
    assert.equal((await resolveSirClientConfig({ ...hermetic, AWS_DEFAULT_REGION: 'us-west-2' })).region, 'us-west-2');
    assert.equal((await resolveSirClientConfig({ ...hermetic, AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'us-west-2' })).region, 'eu-west-3');
  });

  it('reads the region of the default profile from AWS_CONFIG_FILE', async () => {
    const config = await resolveSirClientConfig({ ...hermetic, AWS_CONFIG_FILE: join(dir, 'config') });
    assert.equal(config.region, 'ap-southeast-2');
  });

  it('reads the region of the AWS_PROFILE profile from AWS_CONFIG_FILE', async () => {
    const config = await resolveSirClientConfig({ ...hermetic, AWS_CONFIG_FILE: join(dir, 'config'), AWS_PROFILE: 'incident' });
    assert.equal(config.region, 'eu-north-1');
  });

  it('prefers the environment over the profile', async () => {
    const config = await resolveSirClientConfig({ ...hermetic, AWS_CONFIG_FILE: join(dir, 'config'), AWS_REGION: 'ca-central-1' });
    assert.equal(config.region, 'ca-central-1');
  });

  it('fails with "Missing Region" when nothing names one', async () => {
    await assert.rejects(resolveSirClientConfig(hermetic), /^Error: Missing Region: set AWS_REGION/);
    await assert.rejects(
      resolveSirClientConfig({ ...hermetic, AWS_CONFIG_FILE: join(dir, 'config'), AWS_PROFILE: 'no-region' }),
      /Missing Region.*"no-region"/,
    );
    await assert.rejects(resolveSirClientConfig({ ...hermetic, AWS_REGION: '   ' }), /Missing Region/);
  });

  it('refuses a region that cannot be a host label', async () => {
    await assert.rejects(resolveSirClientConfig({ ...hermetic, AWS_REGION: 'evil.example/x' }), /Invalid region/);
  });

  it('takes AWS_ENDPOINT_URL_SECURITY_IR over AWS_ENDPOINT_URL', async () => {
    const config = await resolveSirClientConfig({
      ...hermetic,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SECURITY_IR: 'http://127.0.0.1:4566/prefix',
      AWS_ENDPOINT_URL: 'http://localhost:9999',
    });
    assert.deepEqual(config, { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566/prefix' });
  });

  it('falls back to AWS_ENDPOINT_URL', async () => {
    const config = await resolveSirClientConfig({ ...hermetic, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://localhost:9999', AWS_ENDPOINT_URL_SECURITY_IR: '' });
    assert.equal(config.endpoint, 'http://localhost:9999');
  });

  it('ignores both when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true', async () => {
    const config = await resolveSirClientConfig({
      ...hermetic,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SECURITY_IR: 'http://127.0.0.1:4566',
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
    });
    assert.equal(config.endpoint, undefined);
  });

  it('names the variable that holds an invalid endpoint', async () => {
    await assert.rejects(
      resolveSirClientConfig({ ...hermetic, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_SECURITY_IR: 'localhost:4566' }),
      /^Error: AWS_ENDPOINT_URL_SECURITY_IR: Invalid SIR endpoint/,
    );
  });

  it('yields a configuration a SirClient can use as is', async () => {
    const server = await FakeSirServer.start();
    try {
      server.respond({ status: 200, body: { caseStatus: 'Submitted' } });
      const config = await resolveSirClientConfig({ ...hermetic, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SECURITY_IR: `${server.url}/emulator` });
      const out = await new SirClient({ ...config, credentials: TEST_CREDENTIALS }).getCase('8403556009');
      assert.deepEqual(out, { caseStatus: 'Submitted' });
      assert.equal(server.last.path, '/emulator/v1/cases/8403556009/get-case');
      assert.match(String(server.last.headers.authorization), /\/eu-west-1\/security-ir\/aws4_request/);
    } finally {
      await server.close();
    }
  });
});

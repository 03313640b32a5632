/**
 * The codec server the Temporal Web UI calls: bearer tokens as in the decisions API, CORS only for the
 * configured UI origins, and the dev-only trust of the dev server's own UI origin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app';
import { UserDirectory, sha256Hex } from '../../src/config/users';
import { EncryptionCodec, generateKey, parseKeyRing } from '../../src/temporal/payload-encryption';
import { registerTestKeyRing } from '../helpers/replay-server';

const UI = 'http://127.0.0.1:8233';
const TOKEN = 'pg_codec_test_token_0123456789';

describe('codec server', { timeout: 60_000 }, () => {
  const ring = `k1:${generateKey()}`;
  registerTestKeyRing(ring);
  const codec = new EncryptionCodec(parseKeyRing(ring));
  let app: FastifyInstance;
  let devApp: FastifyInstance;

  before(async () => {
    // The codec routes never touch Temporal; a lazy client that is never used is enough.
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const users = new UserDirectory([{ name: 'alice', groups: [], tokenSha256: sha256Hex(TOKEN) }]);
    const base = { client, playbooks: [], users, webhookSecrets: ['s'] };
    app = await buildServer({ ...base, codec: { codec, corsOrigins: [UI] } });
    devApp = await buildServer({ ...base, codec: { codec, corsOrigins: [UI], devUiOrigins: [UI] } });
  });
  after(async () => {
    await app.close();
    await devApp.close();
  });

  async function sealed(value: unknown): Promise<{ metadata: Record<string, string>; data: string }> {
    const [payload] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    return {
      metadata: Object.fromEntries(Object.entries(payload!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(payload!.data!).toString('base64'),
    };
  }

  const post = (server: FastifyInstance, url: string, body: unknown, headers: Record<string, string> = {}) =>
    server.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

  it('refuses to decode without a bearer token', async () => {
    const response = await post(app, '/codec/decode', { payloads: [await sealed({ ip: '203.0.113.7' })] }, { origin: UI });
    assert.equal(response.statusCode, 401);
    assert.ok(!response.body.includes('203.0.113.7'));
  });

  it('decodes with a token, with CORS headers for the UI origin', async () => {
    const response = await post(app, '/codec/decode', { payloads: [await sealed({ ip: '203.0.113.7' })] }, { origin: UI, authorization: `Bearer ${TOKEN}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['access-control-allow-origin'], UI);
    assert.equal(response.headers['access-control-allow-credentials'], 'true');
    const [payload] = (response.json<{ payloads: Array<{ metadata: Record<string, string>; data: string }> }>()).payloads;
    assert.equal(Buffer.from(payload!.metadata.encoding!, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(payload!.data, 'base64').toString()), { ip: '203.0.113.7' });
  });

  it('encodes with a token, and what it encodes decodes back', async () => {
    const plain = defaultPayloadConverter.toPayload({ case: '1234567890' });
    const body = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(plain.data!).toString('base64') }] };
    const encoded = await post(app, '/codec/encode', body, { authorization: `Bearer ${TOKEN}` });
    assert.equal(encoded.statusCode, 200);
    const sealedPayloads = encoded.json<{ payloads: unknown[] }>().payloads;
    assert.ok(!JSON.stringify(sealedPayloads).includes(Buffer.from(plain.data!).toString('base64')));
    const decoded = await post(app, '/codec/decode', { payloads: sealedPayloads }, { authorization: `Bearer ${TOKEN}` });
    assert.deepEqual(decoded.json<{ payloads: unknown[] }>().payloads, body.payloads);
  });

  it('answers the UI preflight with CORS headers, and nothing for other origins', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], UI);
    assert.match(String(preflight.headers['access-control-allow-headers']), /x-namespace/);
    const other = await app.inject({ method: 'OPTIONS', url: '/codec/decode', headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('refuses malformed codec requests with 400 naming the field', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await post(app, '/codec/decode', { payloads: 'x' }, auth)).statusCode, 400);
    const badBase64 = await post(app, '/codec/decode', { payloads: [{ data: '%%%' }] }, auth);
    assert.equal(badBase64.statusCode, 400);
    assert.match(badBase64.body, /payloads\.0\.data/);
    const tampered = await sealed({ a: 1 });
    tampered.data = Buffer.from('x'.repeat(40)).toString('base64');
    const refused = await post(app, '/codec/decode', { payloads: [tampered] }, auth);
    assert.equal(refused.statusCode, 400);
  });

  it('in dev only, lets the dev server UI origin decode without a token; never another origin', async () => {
    const payloads = [await sealed({ title: 'case title' })];
    assert.equal((await post(devApp, '/codec/decode', { payloads }, { origin: UI })).statusCode, 200);
    assert.equal((await post(devApp, '/codec/decode', { payloads }, { origin: 'http://127.0.0.1:9999' })).statusCode, 401);
    assert.equal((await post(devApp, '/codec/decode', { payloads })).statusCode, 401);
    assert.equal((await post(app, '/codec/decode', { payloads }, { origin: UI })).statusCode, 401);
  });
});

/**
 * Every request shape the two codec clients send, over real loopback HTTP: the Temporal CLI v1.5.1
 * (Go SDK 1.37's RemotePayloadCodec: encoding/json with omitempty, so `{}` for an empty list; its
 * headers as captured from the real binary) and the Web UI (payloads as the server's JSON API gave
 * them, `data` left out or null, `externalPayloads`, a trailing slash on the endpoint). And the
 * malformed ones, refused with a 4xx that names what is wrong.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app';
import { UserDirectory, sha256Hex } from '../../src/config/users';
import { EncryptionCodec, ENCRYPTED_ENCODING, generateKey, parseKeyRing } from '../../src/temporal/payload-encryption';
import { registerTestKeyRing } from '../helpers/replay-server';

const TOKEN = 'pg_codec_shapes_token_0123456789';
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const JSON_PLAIN = b64('json/plain');

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
  externalPayloads?: Array<{ sizeBytes?: string }>;
}

describe('codec server: request shapes of the Temporal CLI and Web UI', { timeout: 60_000 }, () => {
  const ring = `k1:${generateKey()}`;
  registerTestKeyRing(ring);
  const codec = new EncryptionCodec(parseKeyRing(ring));
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    // The codec routes never touch Temporal; a lazy client that is never used is enough.
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const users = new UserDirectory([{ name: 'alice', groups: [], tokenSha256: sha256Hex(TOKEN) }]);
    app = await buildServer({ client, playbooks: [], users, webhookSecrets: ['s'], codec: { codec, corsOrigins: [] } });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => app.close());

  /** What the Temporal CLI sends: its headers as captured from `temporal workflow start/show --codec-*`. */
  const cliHeaders = (namespace = ''): Record<string, string> => ({
    'user-agent': 'Go-http-client/1.1',
    'content-type': 'application/json',
    'x-namespace': namespace,
    'accept-encoding': 'gzip',
    authorization: `Bearer ${TOKEN}`,
  });

  async function post(path: string, body: string, headers: Record<string, string> = cliHeaders()): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers, body });
    return { status: response.status, json: await response.json() };
  }

  async function ok(path: string, body: unknown, headers?: Record<string, string>): Promise<JsonPayload[]> {
    const { status, json } = await post(path, typeof body === 'string' ? body : JSON.stringify(body), headers);
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(Object.keys(json as object), ['payloads'], 'only the fields protojson.Unmarshal knows');
    return (json as { payloads: JsonPayload[] }).payloads;
  }

  async function refused(path: string, body: string, status: number, detail: RegExp, headers?: Record<string, string>): Promise<void> {
    const response = await post(path, body, headers);
    assert.equal(response.status, status, JSON.stringify(response.json));
    const { error, details } = response.json as { error: string; details: Array<{ path: string; message: string }> };
    assert.equal(typeof error, 'string');
    assert.match(JSON.stringify(details), detail);
  }

  const sealed = async (value: unknown): Promise<JsonPayload> => {
    const [payload] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    return toJson(payload!);
  };

  function toJson(payload: Payload): JsonPayload {
    return {
      metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    };
  }

  for (const direction of ['encode', 'decode'] as const) {
    it(`${direction}: the CLI's empty list is \`{}\` (omitempty), answered with an empty list`, async () => {
      assert.deepEqual(await ok(`/codec/${direction}`, '{}'), []);
      assert.deepEqual(await ok(`/codec/${direction}`, { payloads: [] }), []);
      assert.deepEqual(await ok(`/codec/${direction}`, { payloads: null }), []);
    });
  }

  it('decode: the exact body the CLI sent for a json/plain input passes through unchanged', async () => {
    const body = '{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"eyJhIjoxfQ=="}]}';
    assert.deepEqual(await ok('/codec/decode', body), [{ metadata: { encoding: JSON_PLAIN }, data: 'eyJhIjoxfQ==' }]);
  });

  it('decode: an encrypted payload comes back as the original, for any X-Namespace (the CLI sends "" without -n)', async () => {
    for (const namespace of ['', 'default', 'another']) {
      const [plain] = await ok('/codec/decode', { payloads: [await sealed({ ip: '203.0.113.9' })] }, cliHeaders(namespace));
      assert.equal(plain!.metadata.encoding, JSON_PLAIN);
      assert.deepEqual(JSON.parse(Buffer.from(plain!.data, 'base64').toString()), { ip: '203.0.113.9' });
    }
  });

  it('a payload without data, an empty payload and a nil one (`null`) keep their place in the list', async () => {
    const nullEncoding = { metadata: { encoding: b64('binary/null') } };
    const decoded = await ok('/codec/decode', { payloads: [nullEncoding, {}, null, await sealed('x')] });
    assert.equal(decoded.length, 4);
    assert.deepEqual(decoded[0], { metadata: { encoding: b64('binary/null') }, data: '' });
    assert.deepEqual(decoded[1], { metadata: {}, data: '' });
    assert.deepEqual(decoded[2], { metadata: {}, data: '' });
    assert.equal(Buffer.from(decoded[3]!.data, 'base64').toString(), '"x"');

    // Encoding them seals each one; decoding gives back exactly what went in.
    const encoded = await ok('/codec/encode', { payloads: [nullEncoding, {}] });
    for (const p of encoded) assert.equal(Buffer.from(p.metadata.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);
    assert.deepEqual(await ok('/codec/decode', { payloads: encoded }), [
      { metadata: { encoding: b64('binary/null') }, data: '' },
      { metadata: {}, data: '' },
    ]);
  });

  it('the Web UI\'s shapes: data as null, metadata as null, externalPayloads with int64 as strings', async () => {
    const decoded = await ok('/codec/decode', {
      payloads: [
        { metadata: { encoding: b64('binary/null') }, data: null },
        { metadata: null, data: b64('raw') },
        { metadata: { encoding: JSON_PLAIN }, data: b64('1'), externalPayloads: [{ sizeBytes: '2048' }] },
      ],
    });
    assert.deepEqual(decoded, [
      { metadata: { encoding: b64('binary/null') }, data: '' },
      { metadata: {}, data: b64('raw') },
      { metadata: { encoding: JSON_PLAIN }, data: b64('1'), externalPayloads: [{ sizeBytes: '2048' }] },
    ]);
    // Sealed and opened again, the external-storage details survive (they are part of the payload).
    const [encoded] = await ok('/codec/encode', { payloads: [{ metadata: { encoding: JSON_PLAIN }, data: b64('1'), external_payloads: [{ size_bytes: 7 }] }] });
    assert.equal(encoded!.externalPayloads, undefined, 'the sealed payload hides them');
    assert.deepEqual((await ok('/codec/decode', { payloads: [encoded] }))[0]!.externalPayloads, [{ sizeBytes: '7' }]);
  });

  it('base64 as proto3 JSON reads it: URL-safe and unpadded too', async () => {
    // Sealed until the URL-safe form differs from the standard one (random IVs make that quick).
    let payload: JsonPayload;
    let data: string;
    do {
      payload = await sealed({ case: '1234567890' });
      data = Buffer.from(payload.data, 'base64').toString('base64url');
    } while (!/[-_]/.test(data));
    const urlSafe = { metadata: Object.fromEntries(Object.entries(payload.metadata).map(([k, v]) => [k, v.replace(/=+$/, '')])), data };
    const [plain] = await ok('/codec/decode', { payloads: [urlSafe] });
    assert.deepEqual(JSON.parse(Buffer.from(plain!.data, 'base64').toString()), { case: '1234567890' });
  });

  it('an endpoint configured with a trailing slash (/codec//decode), and content type with a charset', async () => {
    assert.deepEqual(await ok('/codec//decode', '{}'), []);
    assert.deepEqual(await ok('/codec//encode', '{}'), []);
    assert.deepEqual(await ok('/codec/decode', '{}', { ...cliHeaders(), 'content-type': 'application/json; charset=utf-8' }), []);
  });

  it('refuses malformed requests with 400 and a detail naming the field', async () => {
    await refused('/codec/decode', '{"payloads":', 400, /\(body\)/);
    await refused('/codec/decode', '', 400, /\(body\)/);
    await refused('/codec/decode', '[]', 400, /\(body\)/);
    await refused('/codec/decode', '{"payloads":"x"}', 400, /"path":"payloads"/);
    await refused('/codec/decode', '{"payload":[]}', 400, /unrecognized.*payload/i);
    await refused('/codec/decode', '{"payloads":[{"meta":{}}]}', 400, /payloads\.0.*meta/);
    await refused('/codec/decode', '{"payloads":[{"data":"%%%"}]}', 400, /payloads\.0\.data/);
    await refused('/codec/decode', '{"payloads":[{"data":"abcde"}]}', 400, /payloads\.0\.data.*base64/);
    await refused('/codec/decode', '{"payloads":[{"metadata":{"encoding":7}}]}', 400, /payloads\.0\.metadata\.encoding/);
    await refused('/codec/decode', '{"payloads":[{"externalPayloads":[{"sizeBytes":-1}]}]}', 400, /payloads\.0\.externalPayloads\.0\.sizeBytes/);
    await refused('/codec/encode', JSON.stringify({ payloads: Array.from({ length: 1001 }, () => ({})) }), 400, /at most 1000 payloads/);
    const tampered = await sealed({ a: 1 });
    tampered.data = b64('x'.repeat(40));
    await refused('/codec/decode', JSON.stringify({ payloads: [tampered] }), 400, /"path":"payloads"/);
  });

  it('refuses what is not JSON with 415, and a missing or non-Bearer Authorization with 401', async () => {
    await refused('/codec/decode', '{}', 415, /Content-Type/, { ...cliHeaders(), 'content-type': 'text/plain' });
    const { authorization: _omitted, ...anonymous } = cliHeaders();
    await refused('/codec/decode', '{}', 401, /Authorization/, anonymous);
    // `--codec-auth` is sent verbatim: a bare token is not a bearer token.
    await refused('/codec/decode', '{}', 401, /Bearer <token>/, { ...cliHeaders(), authorization: TOKEN });
  });
});

/**
 * The alert keys file (PHASEGATE_ALERT_KEYS) and the checks made with it, without a server: what a
 * file may hold, which credentials authenticate as which key, and which body claims which source.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { authenticateAlert, checkSenderScope } from '../../src/server/alert-auth';
import { AlertKeyring, alertKeySourceOf, loadAlertKeysFile, parseAlertKeysFile } from '../../src/server/alert-keys';
import { sha256Hex } from '../../src/config/users';
import { parseAdoptSecrets, signWebhook } from '../../src/server/webhook-signature';

const GD_KEY = 'pgk_guardduty_0123456789abcdef0123456789abcdef';
const NEW_GD_KEY = 'pgk_guardduty_rotated_fedcba9876543210fedcba98765';
const SIR_KEY = 'pgk_sir_00112233445566778899aabbccddeeff';

const ring = new AlertKeyring([
  { name: 'eb-guardduty-2026-10', keySha256: sha256Hex(GD_KEY), sources: ['guardduty', 'securityhub'] },
  { name: 'eb-guardduty-2026-11', keySha256: sha256Hex(NEW_GD_KEY), sources: ['guardduty', 'securityhub'] },
  { name: 'eb-sir', keySha256: sha256Hex(SIR_KEY), sources: ['sir-events'] },
]);

const basic = (name: string, key: string): string => `Basic ${Buffer.from(`${name}:${key}`).toString('base64')}`;

describe('alert keys file', () => {
  it('reads names, digests and sources', () => {
    const keys = parseAlertKeysFile(
      ['keys:', '  - name: eb-1', `    keySha256: ${sha256Hex('k1')}`, '    sources: [guardduty, sir-events]', ''].join('\n'),
      'keys.yaml',
    );
    assert.deepEqual(keys.names, ['eb-1']);
    assert.deepEqual([...keys.authenticateApiKey('k1')!.sources], ['guardduty', 'sir-events']);
  });

  it('reads mayAdoptCases, off unless set', () => {
    const keys = parseAlertKeysFile(
      [
        'keys:',
        '  - name: soc',
        `    keySha256: ${sha256Hex('k1')}`,
        '    sources: [generic]',
        '    mayAdoptCases: true',
        '  - name: siem',
        `    keySha256: ${sha256Hex('k2')}`,
        '    sources: [generic, guardduty]',
        '',
      ].join('\n'),
      'keys.yaml',
    );
    assert.equal(keys.authenticateApiKey('k1')!.mayAdoptCases, true);
    assert.equal(keys.authenticateApiKey('k2')!.mayAdoptCases, false);
  });

  it('may list no keys at all (the signature scheme alone)', () => {
    assert.equal(parseAlertKeysFile('keys: []\n', 'keys.yaml').size, 0);
  });

  const broken: Array<[string, string, RegExp]> = [
    ['not YAML', 'keys: [', /keys\.yaml: not valid YAML/],
    ['no keys list', 'users: []', /keys\.yaml: .*keys/],
    ['a digest that is not 64 hex digits', `keys: [{name: a, keySha256: abc, sources: [generic]}]`, /keys\.yaml: keys\.0\.keySha256: keySha256 is the hex SHA-256/],
    ['an unknown source', `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: [inspector]}]`, /keys\.yaml: keys\.0\.sources\.0: each source is one of guardduty, securityhub, generic, sir-events/],
    ['no sources', `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: []}]`, /keys\.yaml: keys\.0\.sources: list the sources/],
    ['a name with a colon (no Basic user name)', `keys: [{name: "a:b", keySha256: ${sha256Hex('x')}, sources: [generic]}]`, /keys\.yaml: keys\.0\.name: key names use/],
    ['mayAdoptCases that is not true or false', `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: [generic], mayAdoptCases: "yes"}]`, /keys\.yaml: keys\.0\.mayAdoptCases: mayAdoptCases is true or false/],
    [
      'mayAdoptCases on a key that may not send generic alerts',
      `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: [guardduty], mayAdoptCases: true}]`,
      /keys\.yaml: keys\.0\.mayAdoptCases: only generic alerts name a caseId: add generic to sources, or drop mayAdoptCases/,
    ],
    ['a scopes list instead of mayAdoptCases', `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: [generic], scopes: [adopt-case]}]`, /keys\.yaml: keys\.0: .*scopes/],
    ['a plaintext key field', `keys: [{name: a, key: secret, keySha256: ${sha256Hex('x')}, sources: [generic]}]`, /keys\.yaml: keys\.0: .*key/],
    [
      'a name listed twice',
      `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: [generic]}, {name: a, keySha256: ${sha256Hex('y')}, sources: [generic]}]`,
      /keys\.yaml: key "a" is listed twice/,
    ],
    [
      'one key under two names',
      `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: [generic]}, {name: b, keySha256: ${sha256Hex('x').toUpperCase()}, sources: [guardduty]}]`,
      /keys\.yaml: key "b" has the same keySha256 as another key/,
    ],
  ];
  for (const [what, text, message] of broken) {
    it(`refuses ${what}, naming the file and the entry`, () => {
      assert.throws(() => parseAlertKeysFile(text, 'keys.yaml'), message);
    });
  }

  it('names the variable when the file cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'phasegate-keys-'));
    try {
      await assert.rejects(loadAlertKeysFile(join(dir, 'missing.yaml')), /cannot read the alert keys file .*missing\.yaml \(PHASEGATE_ALERT_KEYS\): ENOENT/);
      await writeFile(join(dir, 'keys.yaml'), `keys: [{name: a, keySha256: ${sha256Hex('x')}, sources: [generic]}]\n`);
      assert.equal((await loadAlertKeysFile(join(dir, 'keys.yaml'))).size, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('authenticating with a key', () => {
  it('an API key authenticates as its entry; both keys of a rotation work', () => {
    assert.equal(ring.authenticateApiKey(GD_KEY)?.name, 'eb-guardduty-2026-10');
    assert.equal(ring.authenticateApiKey(NEW_GD_KEY)?.name, 'eb-guardduty-2026-11');
    assert.equal(ring.authenticateApiKey(SIR_KEY)?.name, 'eb-sir');
  });

  it('a wrong, truncated, extended or empty API key authenticates as nothing', () => {
    for (const wrong of ['nope', GD_KEY.slice(0, -1), `${GD_KEY}x`, '', GD_KEY.toUpperCase()]) {
      assert.equal(ring.authenticateApiKey(wrong), undefined, wrong);
    }
  });

  it('Basic needs the key under its own name', () => {
    assert.equal(ring.authenticateBasic('eb-sir', SIR_KEY)?.name, 'eb-sir');
    assert.equal(ring.authenticateBasic('eb-guardduty-2026-10', SIR_KEY), undefined, 'a right key under another name');
    assert.equal(ring.authenticateBasic('eb-sir', GD_KEY), undefined);
    assert.equal(ring.authenticateBasic('nobody', SIR_KEY), undefined);
  });
});

describe('authenticateAlert', () => {
  const raw = Buffer.from('{"id":"x"}');
  const config = { webhookSecrets: ['whsec'], keys: ring };

  it('takes each of the three schemes', () => {
    assert.deepEqual(authenticateAlert({ 'x-phasegate-signature': signWebhook('whsec', raw) }, raw, config), {
      ok: true,
      sender: {
        scheme: 'signature',
        adoption: {
          allowed: false,
          sender: 'a signature with PHASEGATE_WEBHOOK_SECRET',
          howToAllow: 'sign alerts that adopt a case with a secret from PHASEGATE_WEBHOOK_ADOPT_SECRET instead',
        },
      },
    });
    const apiKey = authenticateAlert({ 'x-phasegate-api-key': GD_KEY }, raw, config);
    assert.ok(apiKey.ok && apiKey.sender.scheme === 'api-key' && apiKey.sender.key === 'eb-guardduty-2026-10');
    const viaBasic = authenticateAlert({ authorization: basic('eb-sir', SIR_KEY) }, raw, config);
    assert.ok(viaBasic.ok && viaBasic.sender.scheme === 'basic' && viaBasic.sender.key === 'eb-sir');
    // The scheme name is case-insensitive (RFC 7617), the key is not.
    assert.equal(authenticateAlert({ authorization: basic('eb-sir', SIR_KEY).replace('Basic', 'basic') }, raw, config).ok, true);
  });

  const refusals: Array<[string, Record<string, string>, number, string, string, RegExp]> = [
    ['nothing', {}, 401, 'missing_credentials', 'X-Phasegate-Api-Key', /API key/],
    ['an unknown API key', { 'x-phasegate-api-key': 'guess' }, 401, 'unknown_key', 'X-Phasegate-Api-Key', /matches no key/],
    ['an empty API key', { 'x-phasegate-api-key': '' }, 401, 'unknown_key', 'X-Phasegate-Api-Key', /matches no key/],
    ['Basic with a wrong key', { authorization: basic('eb-sir', 'guess') }, 401, 'unknown_key', 'Authorization', /match no key/],
    ['a bearer token', { authorization: 'Bearer abc' }, 401, 'malformed_authorization', 'Authorization', /Basic/],
    ['Basic without a colon', { authorization: `Basic ${Buffer.from('eb-sir').toString('base64')}` }, 401, 'malformed_authorization', 'Authorization', /Basic/],
    ['a bad signature', { 'x-phasegate-signature': signWebhook('other', raw) }, 401, 'bad_signature', 'X-Phasegate-Signature', /does not match/],
    ['a key and a signature', { 'x-phasegate-api-key': GD_KEY, 'x-phasegate-signature': signWebhook('whsec', raw) }, 401, 'ambiguous_credentials', 'X-Phasegate-Api-Key', /exactly one/],
    ['a key and Basic', { 'x-phasegate-api-key': GD_KEY, authorization: basic('eb-sir', SIR_KEY) }, 401, 'ambiguous_credentials', 'Authorization', /exactly one/],
  ];
  for (const [what, headers, status, reason, path, message] of refusals) {
    it(`refuses ${what} (${reason})`, () => {
      const result = authenticateAlert(headers, raw, config);
      assert.ok(!result.ok);
      assert.equal(result.status, status);
      assert.equal(result.reason, reason);
      const detail = result.details.find((d) => d.path === path);
      assert.ok(detail, JSON.stringify(result.details));
      assert.match(detail.message, message);
    });
  }

  it('a signature is refused where no webhook secret is configured', () => {
    const result = authenticateAlert({ 'x-phasegate-signature': signWebhook('whsec', raw) }, raw, { webhookSecrets: [], keys: ring });
    assert.ok(!result.ok);
    assert.equal(result.reason, 'scheme_not_configured');
  });

  it('without keys, answers exactly as the signature scheme did, ignoring other headers', () => {
    const result = authenticateAlert({ 'x-phasegate-api-key': GD_KEY }, raw, { webhookSecrets: ['whsec'] });
    assert.ok(!result.ok);
    assert.equal(result.error, 'invalid signature');
    assert.deepEqual(result.details[0], { path: 'X-Phasegate-Signature', message: 'missing x-phasegate-signature header' });
    assert.match(result.details[1]!.message, /no alert keys/);
    const signedWithProxyAuth = authenticateAlert({ 'x-phasegate-signature': signWebhook('whsec', raw), authorization: 'Bearer proxy' }, raw, { webhookSecrets: ['whsec'] });
    assert.equal(signedWithProxyAuth.ok, true);
  });
});

describe('who may adopt an existing SIR case', () => {
  const raw = Buffer.from('{"id":"x","caseId":"1234567890"}');
  const adopterRing = new AlertKeyring([
    { name: 'soc', keySha256: sha256Hex('soc-key'), sources: ['generic'], mayAdoptCases: true },
    { name: 'siem', keySha256: sha256Hex('siem-key'), sources: ['generic'] },
  ]);
  const adoptionOf = (headers: Record<string, string>, config: Parameters<typeof authenticateAlert>[2]) => {
    const result = authenticateAlert(headers, raw, config);
    assert.ok(result.ok, JSON.stringify(result));
    return result.sender.adoption;
  };

  it('a key with mayAdoptCases may, named by its key name; a key without it may not, and is told how', () => {
    const config = { webhookSecrets: ['whsec'], keys: adopterRing };
    assert.deepEqual(adoptionOf({ 'x-phasegate-api-key': 'soc-key' }, config), { allowed: true, by: 'key:soc' });
    assert.deepEqual(adoptionOf({ authorization: basic('soc', 'soc-key') }, config), { allowed: true, by: 'key:soc' });
    assert.deepEqual(adoptionOf({ 'x-phasegate-api-key': 'siem-key' }, config), {
      allowed: false,
      sender: 'key "siem"',
      howToAllow: 'set mayAdoptCases: true on its entry in PHASEGATE_ALERT_KEYS',
    });
  });

  it('a signature may only with a PHASEGATE_WEBHOOK_ADOPT_SECRET, named by its place in that list, with or without keys', () => {
    for (const keys of [adopterRing, undefined]) {
      const config = { webhookSecrets: ['whsec', 'whsec-old'], adoptSecrets: ['adopt-new', 'adopt-old'], ...(keys && { keys }) };
      assert.deepEqual(adoptionOf({ 'x-phasegate-signature': signWebhook('adopt-old', raw) }, config), { allowed: true, by: 'signature:adopt-secret-2' });
      assert.deepEqual(adoptionOf({ 'x-phasegate-signature': signWebhook('adopt-new', raw) }, config), { allowed: true, by: 'signature:adopt-secret-1' });
      assert.equal(adoptionOf({ 'x-phasegate-signature': signWebhook('whsec-old', raw) }, config).allowed, false);
    }
    // An adopt secret alone is a webhook secret: the signature scheme is configured.
    assert.deepEqual(adoptionOf({ 'x-phasegate-signature': signWebhook('adopt-new', raw) }, { webhookSecrets: [], adoptSecrets: ['adopt-new'], keys: adopterRing }), {
      allowed: true,
      by: 'signature:adopt-secret-1',
    });
  });

  it('PHASEGATE_WEBHOOK_ADOPT_SECRET may not repeat a PHASEGATE_WEBHOOK_SECRET', () => {
    assert.deepEqual(parseAdoptSecrets(' a1, a2 ', ['w1']), ['a1', 'a2']);
    assert.deepEqual(parseAdoptSecrets(undefined, ['w1']), []);
    assert.throws(
      () => parseAdoptSecrets('a1,w1', ['w0', 'w1']),
      /^Error: PHASEGATE_WEBHOOK_ADOPT_SECRET: its secret #2 is also in PHASEGATE_WEBHOOK_SECRET; list an adopt-capable secret only in PHASEGATE_WEBHOOK_ADOPT_SECRET$/,
    );
  });
});

describe('key scope', () => {
  const guardduty = { 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: {} };
  const securityhub = { 'detail-type': 'Security Hub Findings - Imported', source: 'aws.securityhub', detail: {} };
  const sir = { 'detail-type': 'Case Updated', source: 'aws.security-ir', detail: { caseId: '1234567890' } };
  const generic = { id: 'a', type: 't', title: 'x', severity: 5 };

  it('reads the source from the envelope alone', () => {
    assert.equal(alertKeySourceOf(guardduty), 'guardduty');
    assert.equal(alertKeySourceOf(securityhub), 'securityhub');
    assert.equal(alertKeySourceOf(sir), 'sir-events');
    assert.equal(alertKeySourceOf(generic), 'generic');
    assert.equal(alertKeySourceOf({ 'detail-type': 'Inspector2 Finding', source: 'aws.inspector2', detail: {} }), undefined);
    assert.equal(alertKeySourceOf([generic]), undefined);
    assert.equal(alertKeySourceOf(null), undefined);
  });

  it('lets a key send only its sources, with a 403 naming the key, what it may send and what this is', () => {
    const gd = { scheme: 'api-key' as const, key: 'eb-gd', sources: new Set(['guardduty', 'securityhub'] as const) };
    assert.equal(checkSenderScope(gd, guardduty), undefined);
    assert.equal(checkSenderScope(gd, securityhub), undefined);
    const refusedGeneric = checkSenderScope(gd, generic);
    assert.equal(refusedGeneric?.status, 403);
    assert.equal(refusedGeneric?.reason, 'source_not_allowed');
    assert.deepEqual(refusedGeneric?.details, [{ path: '(body)', message: 'key "eb-gd" may send guardduty, securityhub; this is a generic alert (generic)' }]);
    assert.equal(checkSenderScope(gd, sir)?.details[0]?.path, 'source');
    // Not an alert kind at all: the parser refuses it with its own reasons, not the scope check.
    assert.equal(checkSenderScope(gd, { source: 'aws.inspector2', detail: {} }), undefined);
    // The signature scheme is not scoped.
    assert.equal(checkSenderScope({ scheme: 'signature' }, sir), undefined);
  });
});

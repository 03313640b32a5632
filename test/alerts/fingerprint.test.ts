/**
 * The alert fingerprint names the case workflow (`case-<fingerprint>`) and CreateCase's clientToken:
 * it must be stable, safe in both places, and distinct for distinct alerts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AlertSource } from '../../src/domain/alert/alert';
import { parseAlert } from '../../src/domain/alert/parse';
import { createCaseClientToken } from '../../src/domain/case/playbook-input';
import { FINGERPRINT_PATTERN, alertFingerprint, sha256Hex, utf8 } from '../../src/domain/alert/fingerprint';
import { caseWorkflowId } from '../../src/domain/contract/temporal-names';
import { fixture, patched } from './helpers';

const SOURCES: AlertSource[] = ['generic', 'guardduty', 'securityhub'];
const anySource = fc.constantFrom(...SOURCES);
const anyId = fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.stringMatching(/^[A-Za-z0-9._:-]{1,140}$/), fc.stringMatching(/^[A-Za-z0-9._:/-]{1,200}$/));

describe('sha256Hex (pure SHA-256 for the workflow sandbox)', () => {
  // FIPS 180-4 / NIST CSRC example vectors.
  const VECTORS: Array<[string, string]> = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    [
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
    ['a'.repeat(1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ];
  for (const [input, digest] of VECTORS) {
    it(`matches the published digest of ${input.length > 60 ? `${input.length} characters` : JSON.stringify(input)}`, () => assert.equal(sha256Hex(input), digest));
  }

  it('agrees with node:crypto for any well-formed string, across the 55/56/64-byte padding edges', () => {
    const edges = fc.integer({ min: 50, max: 130 }).map((n) => 'x'.repeat(n));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), edges), (text) => {
        assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'));
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes well-formed strings exactly as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => assert.deepEqual(utf8(text), [...Buffer.from(text, 'utf8')])),
      { numRuns: 1000 },
    );
  });

  it('keeps lone surrogates apart from U+FFFD and from each other (WTF-8), so they cannot share a case', () => {
    assert.deepEqual(utf8('\ud800'), [0xed, 0xa0, 0x80]);
    assert.deepEqual(utf8('\udc00'), [0xed, 0xb0, 0x80]);
    assert.deepEqual(utf8('\ud83d\ude00'), [...Buffer.from('😀', 'utf8')]);
    const ids = ['\ud800', '\ufffd', '\udc00', '\ud800\ud800', 'a\ud800'];
    assert.equal(new Set(ids.map(sha256Hex)).size, ids.length);
  });
});

describe('alertFingerprint', () => {
  it('uses a short, safe source id as it is', () => {
    assert.equal(alertFingerprint({ source: 'guardduty', id: '5ec6c1b4e8a40b1a5d1e3c1b8e0f7a21' }), 'guardduty-5ec6c1b4e8a40b1a5d1e3c1b8e0f7a21');
    assert.equal(alertFingerprint({ source: 'generic', id: 'siem-2024-000123' }), 'generic-siem-2024-000123');
  });

  it('hashes ASFF ARNs, ids with other characters, and ids over 128 characters', () => {
    const arn = 'arn:aws:securityhub:us-west-2:111122223333:security-control/EC2.19/finding/3f1c8a2e-9b4d-4c7e-a5f6-0d1e2f3a4b5c';
    assert.equal(alertFingerprint({ source: 'securityhub', id: arn }), `securityhub.${sha256Hex(arn).slice(0, 32)}`);
    assert.match(alertFingerprint({ source: 'generic', id: 'a b' }), /^generic\.[0-9a-f]{32}$/);
    assert.equal(alertFingerprint({ source: 'generic', id: 'x'.repeat(128) }), `generic-${'x'.repeat(128)}`);
    assert.match(alertFingerprint({ source: 'generic', id: 'x'.repeat(129) }), /^generic\.[0-9a-f]{32}$/);
    assert.match(alertFingerprint({ source: 'generic', id: '' }), /^generic\.[0-9a-f]{32}$/);
  });

  it('is the same for the same alert, however often and from whichever delivery it is computed', () => {
    // Redeliveries: the same finding in a new EventBridge event, updated later; the same generic
    // alert re-sent with a raised severity and a new description.
    const redeliveries: Array<[unknown, unknown]> = [
      [fixture('guardduty-finding-event'), patched(patched(patched(fixture('guardduty-finding-event'), ['id'], 'another-event-id'), ['time'], '2030-01-01T00:00:00Z'), ['detail', 'updatedAt'], '2030-01-01T00:00:00Z')],
      [fixture('securityhub-findings-imported'), patched(patched(fixture('securityhub-findings-imported'), ['id'], 'another-event-id'), ['detail', 'findings', 0, 'Severity'], { Label: 'CRITICAL' })],
      [fixture('generic-alert'), patched(patched(fixture('generic-alert'), ['severity'], 9), ['description'], 'Updated by the SIEM.')],
    ];
    for (const [first, again] of redeliveries) {
      const a = parseAlert(first);
      const b = parseAlert(again);
      assert.ok(a.ok && b.ok);
      assert.equal(alertFingerprint(a.alert), alertFingerprint(b.alert));
      assert.equal(alertFingerprint(a.alert), alertFingerprint(a.alert));
    }
  });

  it('keeps sources apart: the same id from two sources gives two fingerprints', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const prints = SOURCES.map((source) => alertFingerprint({ source, id }));
        assert.equal(new Set(prints).size, SOURCES.length, prints.join(' '));
      }),
      { numRuns: 500 },
    );
  });

  it('is always 1–200 characters of [A-Za-z0-9._:-], fit for a workflow id and a clientToken', () => {
    fc.assert(
      fc.property(anySource, anyId, (source, id) => {
        const fingerprint = alertFingerprint({ source, id });
        assert.match(fingerprint, FINGERPRINT_PATTERN);
        assert.ok(fingerprint.length <= 140);
        assert.equal(createCaseClientToken(fingerprint), `phasegate:${fingerprint}`, 'the clientToken is never truncated');
        assert.equal(caseWorkflowId(fingerprint), `case-${fingerprint}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('distinct ids give distinct fingerprints (raw and hashed forms never meet)', () => {
    fc.assert(
      fc.property(anySource, anyId, anyId, (source, a, b) => {
        fc.pre(a !== b);
        assert.notEqual(alertFingerprint({ source, id: a }), alertFingerprint({ source, id: b }));
      }),
      { numRuns: 2000 },
    );
  });

  it('a raw id shaped like a hash cannot take a hashed id’s fingerprint', () => {
    const arn = 'arn:aws:securityhub:us-west-2:111122223333:finding/x';
    const hashed = alertFingerprint({ source: 'generic', id: arn });
    const hex = hashed.slice('generic.'.length);
    assert.notEqual(alertFingerprint({ source: 'generic', id: hex }), hashed);
    assert.notEqual(alertFingerprint({ source: 'generic', id: `.${hex}` }), hashed);
  });

  it('long ASFF ids that differ only at the end stay distinct', () => {
    const base = `arn:aws:securityhub:eu-west-1:111122223333:subscription/${'p'.repeat(400)}/finding/`;
    const prints = new Set(Array.from({ length: 1000 }, (_, i) => alertFingerprint({ source: 'securityhub', id: `${base}${i}` })));
    assert.equal(prints.size, 1000);
  });
});

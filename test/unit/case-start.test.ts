/**
 * The pure parts of checking a case start: the playbook content hash server and worker must agree on,
 * the worker's catalog of its own playbooks, the API server's start attestation, and what the workflow
 * refuses before it can ask the worker.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DecisionKeys } from '../../src/attestation/decision-keys';
import { canonicalJson } from '../../src/domain/canonical-json';
import { malformedStart } from '../../src/domain/case/start';
import { PlaybookCatalog } from '../../src/domain/playbook/catalog';
import { playbookSha256 } from '../../src/domain/playbook/hash';
import type { AttestedStart } from '../../src/domain/case/start-attestation';
import { loadPlaybooksOrThrow } from '../../src/config/playbook-directory';
import { testPlaybook } from '../helpers/playbooks';

const SHIPPED = resolve(__dirname, '..', '..', 'playbooks');
const GATED = testPlaybook('gated', ['Detection and Analysis', { status: 'Containment, Eradication and Recovery', approval: { approvers: ['group:ir-leads'], onTimeout: 'reject' } }]);

describe('playbook content hash', () => {
  it('is the same for the playbook a server routed and the one a worker receives through Temporal (JSON, keys in any order)', async () => {
    for (const { playbook } of await loadPlaybooksOrThrow(SHIPPED)) {
      const received = JSON.parse(JSON.stringify(playbook)) as typeof playbook;
      const reordered = Object.fromEntries(Object.entries(received).reverse()) as typeof playbook;
      assert.equal(playbookSha256(received), playbookSha256(playbook));
      assert.equal(playbookSha256(reordered), playbookSha256(playbook));
      assert.match(playbookSha256(playbook), /^[0-9a-f]{64}$/);
    }
    // The same file loaded twice (two processes reading one directory).
    const [a, b] = await Promise.all([loadPlaybooksOrThrow(join(SHIPPED)), loadPlaybooksOrThrow(join(SHIPPED))]);
    assert.deepEqual(a.map((p) => playbookSha256(p.playbook)), b.map((p) => playbookSha256(p.playbook)));
  });

  it('changes with any change of what the case would do: a gate, an approver, a timeout, a step', () => {
    const approval = GATED.steps[1]!.approval!;
    const variants = [
      { ...GATED, steps: GATED.steps.map(({ status }) => ({ status })) },
      { ...GATED, steps: [GATED.steps[0]!, { ...GATED.steps[1]!, approval: { ...approval, approvers: ['group:dev'] } }] },
      { ...GATED, steps: [GATED.steps[0]!, { ...GATED.steps[1]!, approval: { ...approval, timeoutMs: 1_000, onTimeout: 'approve' as const } }] },
      { ...GATED, close: {} },
      { ...GATED, onReject: 'close' as const },
    ];
    const hashes = new Set([GATED, ...variants].map(playbookSha256));
    assert.equal(hashes.size, variants.length + 1);
  });

  it('is computed over canonical JSON: sorted keys, absent fields left out, arrays in order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } }), '{"a":{"d":[2,1]},"b":1}');
    assert.equal(canonicalJson({ a: { c: 3, d: [2, 1] }, b: 1 }), canonicalJson({ b: 1, a: { d: [2, 1], c: 3 } }));
  });
});

describe('a worker\'s playbook catalog', () => {
  it('holds its playbooks by name and content, and says why another is not one of them', () => {
    const catalog = new PlaybookCatalog([GATED, testPlaybook('other', ['Detection and Analysis'])]);
    assert.deepEqual(catalog.check('gated', playbookSha256(GATED)), { ok: true });
    assert.deepEqual(catalog.check('gated', playbookSha256({ ...GATED, close: {} })), { ok: false, reason: 'other-content', hashes: [playbookSha256(GATED)] });
    assert.deepEqual(catalog.check('nope', playbookSha256(GATED)), { ok: false, reason: 'unknown-name', names: ['gated', 'other'] });
    assert.deepEqual(catalog.names, ['gated', 'other']);
  });
});

describe('start attestation', () => {
  const keys = new DecisionKeys(['k'.repeat(64)]);
  const START: AttestedStart = { namespace: 'prod', workflowId: 'case-generic-1', playbook: 'gated', playbookSha256: playbookSha256(GATED), caseId: '1234567890' };
  const ISSUED = new Date('2026-12-01T10:00:00Z');
  const at = (minutes: number): Date => new Date(ISSUED.getTime() + minutes * 60_000);

  it('verifies the start it was made for, and no other', () => {
    const attestation = keys.attestStart(START, ISSUED);
    assert.deepEqual(keys.verifyStart(START, attestation, at(0)), { ok: true });
    for (const other of [
      { ...START, namespace: 'staging' },
      { ...START, workflowId: 'case-generic-2' },
      { ...START, playbook: 'other' },
      { ...START, playbookSha256: playbookSha256({ ...GATED, close: {} }) },
      { ...START, caseId: '1234567891' },
      { ...START, caseId: undefined },
      { ...START, adoption: { allowedBy: 'key:partner' } },
    ]) {
      const verdict = keys.verifyStart(other, attestation, at(0));
      assert.equal(verdict.ok, false, JSON.stringify(other));
      assert.match((verdict as { message: string }).message, /does not match this start/);
    }
    assert.equal(new DecisionKeys(['o'.repeat(64)]).verifyStart(START, attestation, at(0)).ok, false, 'another key');
  });

  it('covers who allowed the adoption, whatever the order of its fields', () => {
    const adopted = { ...START, adoption: { allowedBy: 'key:partner', at: '2026-12-01T10:00:00Z' } };
    const attestation = keys.attestStart(adopted, ISSUED);
    assert.deepEqual(keys.verifyStart({ ...START, adoption: { at: '2026-12-01T10:00:00Z', allowedBy: 'key:partner' } }, attestation, at(0)), { ok: true });
    assert.equal(keys.verifyStart({ ...START, adoption: { allowedBy: 'key:other', at: '2026-12-01T10:00:00Z' } }, attestation, at(0)).ok, false);
  });

  it('is honoured when Temporal started the run within ten minutes of it, however late a worker checks', () => {
    const attestation = keys.attestStart(START, ISSUED);
    assert.deepEqual(keys.verifyStart(START, attestation, at(9)), { ok: true });
    const late = keys.verifyStart(START, attestation, at(11));
    assert.equal(late.ok, false);
    assert.match((late as { message: string }).message, /outside the 10 minutes it is honoured/);
  });
});

describe('what a case refuses before it asks the worker', () => {
  const good = { fingerprint: 'generic-1', playbook: GATED, newCase: { title: 't' } };
  it('takes a well-formed start', () => {
    assert.equal(malformedStart(good), undefined);
    assert.equal(malformedStart({ fingerprint: 'generic-1', playbook: GATED, caseId: '1234567890' }), undefined);
  });
  for (const [name, input, message] of [
    ['no input', null, /no input object/],
    ['no fingerprint', { ...good, fingerprint: 3 }, /no alert fingerprint/],
    ['no playbook', { ...good, playbook: undefined }, /names no playbook/],
    ['a playbook without steps', { ...good, playbook: { name: 'gated' } }, /names no playbook/],
    ['a severity that is not a number', { ...good, severity: 'high' }, /severity must be a number/],
    ['neither a case to adopt nor one to open', { fingerprint: 'generic-1', playbook: GATED }, /neither a SIR case to adopt nor one to open/],
    ['a group without its first alert', { ...good, group: { kind: 'group' } }, /must name its first alert/],
  ] as Array<[string, unknown, RegExp]>) {
    it(`refuses ${name}`, () => assert.match(malformedStart(input) ?? '', message));
  }
});

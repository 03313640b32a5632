/**
 * parseAlert is total: for any value at all it returns either an Alert that satisfies the Alert
 * invariants or a refusal that explains itself, and it never throws. The server hands it whatever
 * JSON.parse produced, so "any JSON value" is the real input domain.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Alert } from '../../src/domain/alert/alert';
import { type ParseAlertResult, parseAlert } from '../../src/domain/alert/parse';
import { FIXTURE_NAMES, type FixtureName, type PathStep, REMOVE, fixture, patched } from './helpers';

const ALERT_KEYS = new Set(['source', 'id', 'type', 'title', 'description', 'severity', 'accountId', 'region', 'resourceId', 'observedAt', 'caseId', 'threatActorIps']);

function assertAlertInvariants(alert: Alert): void {
  for (const key of Object.keys(alert)) assert.ok(ALERT_KEYS.has(key), `unexpected Alert field ${key}`);
  assert.ok(['generic', 'guardduty', 'securityhub'].includes(alert.source));
  for (const field of ['id', 'type', 'title'] as const) {
    assert.equal(typeof alert[field], 'string');
    assert.ok(alert[field].trim().length > 0, `${field} must not be blank`);
  }
  assert.equal(typeof alert.description, 'string');
  assert.ok(Number.isFinite(alert.severity) && alert.severity >= 0 && alert.severity <= 10, `severity ${alert.severity}`);
  if (alert.accountId !== undefined) assert.match(alert.accountId, /^\d{12}$/);
  if (alert.observedAt !== undefined) assert.equal(new Date(alert.observedAt).toISOString(), alert.observedAt);
  if (alert.caseId !== undefined) {
    assert.equal(alert.source, 'generic', 'only generic alerts adopt a case');
    assert.match(alert.caseId, /^\d{10,32}$/);
  }
  if (alert.threatActorIps !== undefined) {
    assert.ok(Array.isArray(alert.threatActorIps) && alert.threatActorIps.length <= 200);
    for (const ip of alert.threatActorIps) assert.equal(typeof ip, 'string');
  }
  for (const field of ['region', 'resourceId'] as const) if (alert[field] !== undefined) assert.equal(typeof alert[field], 'string');
}

function assertWellFormed(result: ParseAlertResult): void {
  if (result.ok) {
    assertAlertInvariants(result.alert);
    return;
  }
  assert.equal(typeof result.error, 'string');
  assert.ok(result.error.length > 0, 'error must not be empty');
  assert.ok(Array.isArray(result.details) && result.details.length > 0, 'details must not be empty');
  for (const detail of result.details) {
    assert.deepEqual(Object.keys(detail).sort(), ['message', 'path']);
    assert.ok(typeof detail.path === 'string' && detail.path.length > 0, 'a path names the body or a field in it');
    assert.ok(typeof detail.message === 'string' && detail.message.length > 0);
  }
}

/** Whether JSON.stringify → JSON.parse gives the same value back: what a request body can be. */
function isJsonable(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return Object.keys(value).length === value.length && value.every(isJsonable);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    if (Object.getOwnPropertySymbols(value).length > 0) return false;
    return Object.values(value).every(isJsonable);
  }
  return false;
}

function parsesWithoutThrowing(body: unknown): ParseAlertResult {
  let result: ParseAlertResult | undefined;
  assert.doesNotThrow(() => {
    result = parseAlert(body);
  });
  return result!;
}

/** Every path into a value: where mutations go. */
function pathsOf(value: unknown, prefix: PathStep[] = []): PathStep[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: Array<[PathStep, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

const mutatedFixture = fc
  .constantFrom<FixtureName>(...FIXTURE_NAMES)
  .chain((name) => {
    const body = fixture(name);
    return fc.tuple(
      fc.constant(body),
      fc.array(fc.tuple(fc.constantFrom(...pathsOf(body)), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(REMOVE))), { minLength: 1, maxLength: 3 }),
    );
  })
  .map(([body, mutations]) => {
    let current: unknown = body;
    for (const [path, value] of mutations) {
      try {
        current = patched(current, path, value);
      } catch {
        // An earlier mutation removed or replaced this path's parent: skip this one.
      }
    }
    return current;
  });

const nonBlank = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', minLength: 1, maxLength }).filter((s) => s.trim().length > 0);

const validGenericAlert = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9._:/-]{1,200}$/),
    type: nonBlank(200),
    title: nonBlank(300),
    description: fc.string({ unit: 'binary', maxLength: 500 }),
    severity: fc.double({ min: 0, max: 10, noNaN: true }),
    accountId: fc.stringMatching(/^\d{12}$/),
    region: nonBlank(64),
    resourceId: nonBlank(1000),
    observedAt: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    caseId: fc.stringMatching(/^\d{10,32}$/),
    threatActorIps: fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { maxLength: 20 }),
  },
  { requiredKeys: ['id', 'type', 'title', 'severity'] },
);

describe('parseAlert is total', () => {
  it('any JSON value: a valid Alert or an explained refusal, never a throw', () => {
    fc.assert(fc.property(fc.jsonValue(), (body) => assertWellFormed(parsesWithoutThrowing(body))), { numRuns: 2000 });
  });

  it('any JSON-able value from fc.anything(): the same', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }).filter(isJsonable), (body) => assertWellFormed(parsesWithoutThrowing(body))),
      { numRuns: 2000 },
    );
  });

  it('even values JSON cannot carry (undefined, NaN, Maps, Dates, sparse arrays …) never make it throw', () => {
    const exotic = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(fc.property(exotic, (body) => assertWellFormed(parsesWithoutThrowing(body))), { numRuns: 1000 });
  });

  it('a body whose getters throw gets a refusal, not an exception', () => {
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); }, get: () => { throw new Error('boom'); } });
    const result = parsesWithoutThrowing(hostile);
    assert.equal(result.ok, false);
    assertWellFormed(result);
  });

  it('fixtures with up to three fields replaced by random JSON or removed', () => {
    fc.assert(fc.property(mutatedFixture, (body) => assertWellFormed(parsesWithoutThrowing(body))), { numRuns: 1500 });
  });

  it('EventBridge-looking bodies with random details', () => {
    const event = fc.record({
      'detail-type': fc.oneof(fc.constantFrom('GuardDuty Finding', 'Security Hub Findings - Imported'), fc.jsonValue({ maxDepth: 1 })),
      source: fc.oneof(fc.constantFrom('aws.guardduty', 'aws.securityhub'), fc.jsonValue({ maxDepth: 1 })),
      detail: fc.oneof(
        fc.jsonValue(),
        fc.record({ findings: fc.array(fc.dictionary(fc.constantFrom('Id', 'Types', 'Severity', 'AwsAccountId', 'Title'), fc.jsonValue({ maxDepth: 2 })), { maxLength: 2 }) }),
        fc.dictionary(fc.constantFrom('id', 'type', 'severity', 'accountId', 'title', 'resource', 'service'), fc.jsonValue({ maxDepth: 2 })),
      ),
    });
    fc.assert(fc.property(event, (body) => assertWellFormed(parsesWithoutThrowing(body))), { numRuns: 1500 });
  });
});

describe('valid generic alerts', () => {
  it('every body within the documented limits is accepted, and its fields come through', () => {
    fc.assert(
      fc.property(validGenericAlert, (body) => {
        const result = parseAlert(body);
        if (!result.ok) assert.fail(`refused a valid alert: ${result.error}`);
        const { alert } = result;
        assertAlertInvariants(alert);
        assert.equal(alert.source, 'generic');
        assert.equal(alert.id, body.id);
        assert.equal(alert.type, body.type.trim());
        assert.equal(alert.title, body.title.trim());
        assert.equal(alert.description, body.description ?? '');
        assert.equal(alert.severity, body.severity);
        assert.equal(alert.accountId, body.accountId);
        assert.equal(alert.caseId, body.caseId);
        assert.equal(alert.observedAt, body.observedAt);
        assert.deepEqual(alert.threatActorIps, body.threatActorIps);
      }),
      { numRuns: 1000 },
    );
  });

  it('parsing is deterministic: the same body always gives the same result', () => {
    fc.assert(fc.property(fc.oneof(validGenericAlert, mutatedFixture), (body) => assert.deepEqual(parseAlert(body), parseAlert(structuredClone(body)))), { numRuns: 300 });
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { ALL_CASE_STATUSES, type CaseStatus, isSelfManagedStatus } from '../../src/domain/case/status';
import { type ParsePlaybookResult, PlaybookError, parsePlaybook } from '../../src/domain/playbook/schema';
import { checkTransition } from '../../src/domain/case/transitions';
import { SHIPPED_DIR } from './helpers';

/** Whatever the input, parsePlaybook answers with exactly one of a playbook or well-formed errors. */
function assertWellFormed(result: ParsePlaybookResult): void {
  if ('playbook' in result) {
    assert.ok(!('errors' in result));
    return;
  }
  assert.ok(result.errors.length > 0);
  for (const error of result.errors) {
    assert.ok(error instanceof PlaybookError);
    assert.match(error.rule, /^[a-z]+(-[a-z]+)*$/);
    assert.ok(error.message.length > 0);
    assert.doesNotMatch(error.toString(), /\n/);
    assert.ok(error.toString().startsWith('fuzz.yaml: '));
  }
}

const parseSafely = (text: string): ParsePlaybookResult => {
  try {
    return parsePlaybook(text, 'fuzz.yaml');
  } catch (err) {
    assert.fail(`parsePlaybook threw for ${JSON.stringify(text).slice(0, 200)}: ${String(err)}`);
  }
};

const SHIPPED = parse(readFileSync(join(SHIPPED_DIR, 'nist-800-61-default.yaml'), 'utf8')) as Record<string, unknown>;

/**
 * Sets `value` at a path in a deep copy, creating containers as needed. Own properties only: a path
 * through "__proto__" must create a key named so, not write to Object.prototype.
 */
function mutate(document: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(document) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    const next = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
    const child = typeof next === 'object' && next !== null ? (next as Record<string | number, unknown>) : {};
    define(node, key, child);
    node = child;
  }
  define(node, path[path.length - 1]!, value);
  return copy;
}

function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const KEYS = ['name', 'case', 'title', 'steps', 'status', 'approval', 'approvers', 'timeout', 'onTimeout', 'escalation', 'close', 'match', 'watchers', 'notify', '__proto__', 'constructor'];

describe('parsePlaybook never throws', () => {
  it('for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => assertWellFormed(parseSafely(text))), { numRuns: 500 });
  });

  it('for arbitrary unicode and YAML-ish punctuation', () => {
    const token = fc.constantFrom('name:', ' ', '\n', '  ', '- ', '[', ']', '{', '}', ',', ':', '&a', '*a', '!!str', '"', "'", '#', '---', '|', '>', '<<:', 'status: ', '4h', '\t');
    const yamlish = fc.array(token, { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), yamlish), (text) => assertWellFormed(parseSafely(text))), { numRuns: 500 });
  });

  it('for arbitrary JSON-ish values serialised to YAML', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => assertWellFormed(parseSafely(stringify(value)))), { numRuns: 400 });
  });

  it('for the shipped playbook with any field replaced by anything', () => {
    const path = fc.array(fc.oneof(fc.constantFrom(...KEYS), fc.nat({ max: 3 })), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(path, fc.jsonValue({ maxDepth: 3 }), (where, value) => {
        assertWellFormed(parseSafely(stringify(mutate(SHIPPED, where, value))));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the step sequence is checked against the transition table', () => {
  it('accepts a sequence exactly when every consecutive move is an allowed UpdateCaseStatus transition', () => {
    const status = fc.constantFrom<CaseStatus>(...ALL_CASE_STATUSES);
    fc.assert(
      fc.property(fc.array(status, { minLength: 1, maxLength: 6 }), (statuses) => {
        const yaml = stringify({
          name: 'sequence',
          case: { title: 't', description: 'd' },
          steps: statuses.map((s) => ({ status: s })),
        });
        const result = parsePlaybook(yaml, 'seq.yaml');
        let previous: CaseStatus = 'Submitted';
        const legal = statuses.every((s) => {
          const ok = isSelfManagedStatus(s) && checkTransition(previous, s).ok;
          previous = s;
          return ok;
        });
        assert.equal('playbook' in result, legal, 'errors' in result ? result.errors.join('\n') : statuses.join(' → '));
        if ('playbook' in result) assert.deepEqual(result.playbook.steps.map((s) => s.status), statuses);
      }),
      { numRuns: 400 },
    );
  });
});

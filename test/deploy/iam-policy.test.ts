/**
 * deploy/iam-policy.json: the least-privilege identity policy for the worker's role, checked against
 * the SIR operations the client actually implements.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';

const ROOT = resolve(__dirname, '..', '..');
const ACTIONS = ['CreateCase', 'GetCase', 'UpdateCaseStatus', 'CloseCase', 'ListCases', 'CreateCaseComment'].map((a) => `security-ir:${a}`);
/** SIR authorises these without a case ARN (nothing exists yet / a listing). */
const UNSCOPED = new Set(['security-ir:CreateCase', 'security-ir:ListCases']);
const CASE_ARN = /^arn:aws:security-ir:\*:(\d{12}|\$\{aws:PrincipalAccount\}):case\/\*$/;

interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  NotResource?: unknown;
  Principal?: unknown;
}

describe('deploy/iam-policy.json', () => {
  let policy: { Version: string; Statement: Statement[] };

  before(async () => {
    policy = JSON.parse(await readFile(join(ROOT, 'deploy/iam-policy.json'), 'utf8')) as typeof policy;
  });

  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : [v].flat());

  it('is an identity policy of Allow statements in the current policy language', () => {
    assert.equal(policy.Version, '2012-10-17');
    assert.ok(Array.isArray(policy.Statement) && policy.Statement.length > 0);
    for (const s of policy.Statement) {
      assert.equal(s.Effect, 'Allow');
      assert.equal(s.NotAction, undefined, 'NotAction grants everything else');
      assert.equal(s.NotResource, undefined);
      assert.equal(s.Principal, undefined, 'identity policies have no Principal');
    }
  });

  it('grants exactly the six SIR actions phasegate calls, with no wildcard', () => {
    const actions = policy.Statement.flatMap((s) => list(s.Action));
    assert.deepEqual([...actions].sort(), [...ACTIONS].sort());
    for (const action of actions) assert.doesNotMatch(action, /\*/);
  });

  it('matches the operations the SIR client implements', async () => {
    // Every operation name the client sends (src/sir), so a new call cannot ship without its permission.
    const dir = join(ROOT, 'src/sir');
    const sources = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.ts')).map((f) => readFile(join(dir, f), 'utf8')));
    const known = ['CreateCase', 'GetCase', 'UpdateCaseStatus', 'CloseCase', 'ListCases', 'CreateCaseComment', 'ListComments', 'UpdateCase', 'ListCaseEdits', 'UpdateResolverType'];
    const used = known.filter((op) => sources.some((text) => text.includes(`'${op}'`)));
    assert.deepEqual(used.map((op) => `security-ir:${op}`).sort(), [...ACTIONS].sort());
  });

  it('scopes every case action to case ARNs of the account; only CreateCase and ListCases use *', () => {
    for (const s of policy.Statement) {
      const resources = list(s.Resource);
      assert.ok(resources.length > 0, `${s.Sid ?? 'a statement'} needs a Resource`);
      for (const action of list(s.Action)) {
        if (UNSCOPED.has(action)) {
          assert.deepEqual(resources, ['*'], `${action}`);
        } else {
          for (const r of resources) assert.match(r, CASE_ARN, `${action} on ${r}`);
        }
      }
    }
  });
});

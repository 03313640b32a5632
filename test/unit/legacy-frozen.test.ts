/**
 * workflows/legacy/ is frozen: the lint rule in eslint.config.mjs keeps it from importing the live loop
 * (anything of workflows/ outside legacy/, or any project code but src/domain), so a change there cannot
 * change how a v1–v4 case replays. Checked with the project's own ESLint config on the real files and
 * on each file with one import bent to a forbidden place.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = resolve(__dirname, '..', '..');
const LEGACY = join(ROOT, 'workflows', 'legacy');
const RULE = '@typescript-eslint/no-restricted-imports';

const eslint = new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId === RULE });

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  assert.deepEqual(result!.messages.filter((m) => m.fatal), [], 'the file parses');
  return result!.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('workflows/legacy imports nothing from the live loop (lint rule)', { timeout: 120_000 }, () => {
  it('passes the legacy files as they are', async () => {
    const files = (await readdir(LEGACY)).filter((f) => f.endsWith('.ts'));
    assert.ok(files.includes('case-playbook-v4.ts') && files.includes('approval-gate-v4.ts'));
    for (const file of files) {
      const path = join(LEGACY, file);
      assert.deepEqual(await restrictedImports(path, await readFile(path, 'utf8')), [], file);
    }
  });

  it('fails a legacy file that imports the live loop, project code outside src/domain, a library, or activities by value', async () => {
    const path = join(LEGACY, 'approval-gate-v4.ts');
    const source = await readFile(path, 'utf8');
    const frozen = "import { commentOnCase, notifyEscalation } from './sir-calls-v4';";
    assert.ok(source.includes(frozen));
    for (const bent of [
      "import { commentOnCase, notifyEscalation } from '../case-operations';",
      "import type { CaseContext } from '../case-context';\nimport { commentOnCase, notifyEscalation } from './sir-calls-v4';",
      "import { loadTemporalTarget } from '../../src/temporal/connection-config';\nimport { commentOnCase, notifyEscalation } from './sir-calls-v4';",
      "import { createActivities } from '../../activities';\nimport { commentOnCase, notifyEscalation } from './sir-calls-v4';",
      "import { parse } from 'yaml';\nimport { commentOnCase, notifyEscalation } from './sir-calls-v4';",
      "import { commentOnCase, notifyEscalation } from './../case-operations';",
    ]) {
      const messages = await restrictedImports(path, source.replace(frozen, bent));
      assert.equal(messages.length, 1, `${bent}: ${messages.join('; ')}`);
    }
  });

  it('allows activities by `import type`, src/domain and @temporalio/workflow', async () => {
    const path = join(LEGACY, 'approval-gate-v4.ts');
    const source = await readFile(path, 'utf8');
    const allowed = "import type { PhasegateActivities } from '../../activities';\nimport { checkTransition } from '../../src/domain/case/transitions';\nimport { sleep } from '@temporalio/workflow';\n";
    assert.deepEqual(await restrictedImports(path, allowed + source), []);
  });
});

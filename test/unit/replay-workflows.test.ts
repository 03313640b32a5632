/**
 * The suite's replay check (test/helpers/replay-server.ts) replays every history with the workflows
 * test/helpers/replay-workflows.ts exports: a test fixture workflow missing there would fail the check
 * for a reason that is not nondeterminism. Every module under a test `workflows/` or `fixtures/`
 * folder that exports a workflow function must be re-exported.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import * as replayWorkflows from '../helpers/replay-workflows';

const TEST = resolve(__dirname, '..');

async function fixtureModules(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'histories' || entry.name === 'node_modules') continue;
      found.push(...(await fixtureModules(path)));
    } else if (/\/(workflows|fixtures)\//.test(path) && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      found.push(path);
    }
  }
  return found;
}

describe('the workflows the suite replays with', () => {
  it('include every test fixture workflow', async () => {
    const missing: string[] = [];
    for (const file of await fixtureModules(TEST)) {
      const source = await readFile(file, 'utf8');
      for (const [, name] of source.matchAll(/^export async function (\w+)/gm)) {
        if (!(name! in replayWorkflows)) missing.push(`${relative(TEST, file)}: ${name}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

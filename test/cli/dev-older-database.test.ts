/**
 * `phasegate dev` on a Temporal database an older phasegate left behind, one that lacks phasegate's
 * search attributes. dev registers them and restarts its dev server, whose 60 s search-attribute
 * cache would otherwise refuse every new case for up to a minute.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { freePort, startPhasegateDev, temporalCliPath } from '../browser/phasegate-dev';
import { waitFor } from '../helpers/wait';

/** start-dev's own defaults, without phasegate's --search-attribute flags. */
async function makeDatabaseWithoutSearchAttributes(dbFile: string): Promise<void> {
  const port = await freePort();
  const server = spawn(await temporalCliPath(), [
    'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', dbFile, '--log-level', 'error',
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolveExit) => server.once('exit', () => resolveExit()));
  try {
    const names = await waitFor('the bare dev server to serve', async () => {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1_000 }).catch(() => undefined);
      if (!connection) return undefined;
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        return Object.keys(customAttributes ?? {});
      } catch {
        return undefined;
      } finally {
        await connection.close();
      }
    }, 60_000);
    assert.ok(!names.includes('SirCaseId'), `the old database should lack SirCaseId: ${names.join(', ')}`);
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

describe('phasegate dev on an older Temporal database', { timeout: 240_000 }, () => {
  it('registers the missing search attributes, restarts its server, and opens the demo case', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'phasegate-older-db-'));
    await makeDatabaseWithoutSearchAttributes(join(stateDir, 'temporal.sqlite'));

    const dev = await startPhasegateDev({ stateDir });
    try {
      assert.match(dev.output(), /Registered search attributes .*SirCaseId.*restarting the Temporal dev server/);
      const state = await waitFor('the demo case to wait at its first gate', async () => {
        const res = await fetch(`${dev.apiUrl}/v1/cases/${encodeURIComponent(dev.demoWorkflowId)}`, {
          headers: { authorization: `Bearer ${dev.demoToken}` },
        });
        const body = (await res.json()) as { caseId?: string; pendingApproval?: { target: string } };
        return res.status === 200 && body.pendingApproval ? body : undefined;
      }, 60_000);
      assert.match(state.caseId ?? '', /^\d+$/);
    } finally {
      await dev.stop();
    }
  });
});

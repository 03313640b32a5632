/**
 * The README's flows are tests: every shell block the README marks `<!-- readme-flow: dev -->` runs
 * here, as written, in one bash session against a real `phasegate dev` (its own state folder and free
 * ports; payload encryption on, as a new user gets it). A README edit that breaks a command fails here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaseState } from '../../src/domain/case/state';
import { REPO_ROOT, startPhasegateDev, type PhasegateDev } from '../browser/phasegate-dev';

const MARKER = '<!-- readme-flow: dev -->';

/** The shell blocks that follow each marker, in README order. */
export function readmeFlows(markdown: string): string[] {
  const blocks: string[] = [];
  for (const part of markdown.split(MARKER).slice(1)) {
    const match = /^\s*```sh\n([\s\S]*?)\n```/.exec(part);
    if (!match) throw new Error(`a "${MARKER}" marker is not followed by a \`\`\`sh block`);
    blocks.push(match[1]!);
  }
  return blocks;
}

interface Shell {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(script: string, env: NodeJS.ProcessEnv): Promise<Shell> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? 1, stdout, stderr });
    });
  });
}

describe('the README flows, as written, against phasegate dev', { timeout: 420_000 }, () => {
  let dev: PhasegateDev;
  before(async () => {
    dev = await startPhasegateDev();
  });
  after(() => dev?.stop());

  it('finds the marked blocks: the CLI flow, the curl calls and a signed alert', () => {
    const flows = readmeFlows(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    assert.equal(flows.length, 3);
    const all = flows.join('\n');
    for (const command of ['phasegate demo env', 'phasegate demo alert', 'phasegate status', 'phasegate list', 'phasegate approve', 'phasegate reject', 'phasegate transition', '/decisions', '/v1/alerts']) {
      assert.ok(all.includes(command), `the README flow shows ${command}`);
    }
  });

  it('runs every command of the flows in one shell, and they do what the README says', async () => {
    const flows = readmeFlows(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    // Each block is echoed with a separator so the output can be read block by block.
    const script = ['set -euo pipefail', ...flows.map((block, i) => `echo "=== block ${i + 1}"\n${block}`), 'echo "=== case $CASE"'].join('\n');
    // The user's environment: only what `phasegate dev` was started with (its state folder), nothing else of the suite's.
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!/^(TEMPORAL_|PHASEGATE_|AWS_)/.test(key)) env[key] = value;
    }
    env.PHASEGATE_STATE_DIR = dev.stateDir;
    const run = await bash(script, env);
    assert.equal(run.code, 0, `the README flow failed:\n${run.stderr}\n--- stdout ---\n${run.stdout}\n--- phasegate dev ---\n${dev.output()}`);

    const [cli, curl, alert] = run.stdout.replace(/^=== case .*$/m, '').split(/^=== block \d+\n/m).slice(1);
    const caseId = /^=== case (\d+)$/m.exec(run.stdout)?.[1];
    assert.ok(caseId, run.stdout);
    assert.match(cli!, /approval #1 pending: move to "Containment, Eradication and Recovery" by group:ir-leads/);
    assert.match(cli!, new RegExp(`${caseId}\\s+Detection and Analysis\\s+#1\\s+guardduty-high-severity`));
    assert.match(cli!, new RegExp(`approved approval #1 \\(move case ${caseId} to "Containment, Eradication and Recovery"\\)`));
    assert.match(cli!, new RegExp(`rejected approval #2 \\(move case ${caseId} to "Post-incident Activities"\\): the case stays where it is`));
    assert.match(cli!, new RegExp(`case ${caseId} is moving to "Detection and Analysis"`));

    // The curl block: the case as JSON, then a decision naming approval #3 (the Containment gate again).
    const answer = JSON.parse(curl!.trim().split('\n').at(-1)!) as { approvalId: number; result: string; by: string; state: CaseState };
    assert.deepEqual([answer.approvalId, answer.result, answer.by], [3, 'approved', 'demo']);
    const shown = JSON.parse(curl!.trim().split('\n')[0]!) as CaseState;
    assert.equal(shown.caseId, caseId);
    assert.equal(shown.status, 'Detection and Analysis');

    const accepted = JSON.parse(alert!.trim().split('\n').at(-1)!) as { caseWorkflowId: string; duplicate: boolean };
    assert.match(accepted.caseWorkflowId, /^case-/);

    // What the API says afterwards: the decisions landed where the README says, proven, encrypted in Temporal.
    const final = (await (await fetch(`${dev.apiUrl}/v1/cases/${caseId}`, { headers: { authorization: `Bearer ${dev.demoToken}` } })).json()) as CaseState;
    assert.deepEqual(final.decisions.map((d) => [d.approvalId, d.decision, d.by, d.proof]), [
      [1, 'approve', 'demo', 'attested'],
      [2, 'reject', 'demo', 'attested'],
      [3, 'approve', 'demo', 'attested'],
    ]);
    assert.deepEqual(final.transitions.map((t) => t.to).slice(0, 3), ['Detection and Analysis', 'Containment, Eradication and Recovery', 'Detection and Analysis']);
  });
});

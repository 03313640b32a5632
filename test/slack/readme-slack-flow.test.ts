/**
 * The README's Slack flow, as written (the shell block marked `<!-- readme-flow: dev-slack -->`), in
 * bash against a real `phasegate dev --slack-fake` with the README's playbooks: a newcomer's alert
 * posts its gate to the fake Slack, an unmapped member's click is refused by name of the rule, the
 * demo member's click moves the case, and the message is rewritten to say who approved.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaseState } from '../../src/domain/case/state';
import { REPO_ROOT, freePort, startPhasegateDev, type PhasegateDev } from '../browser/phasegate-dev';
import { waitFor } from '../helpers/wait';

const MARKER = '<!-- readme-flow: dev-slack -->';

function slackFlows(markdown: string): string[] {
  return markdown
    .split(MARKER)
    .slice(1)
    .map((part) => {
      const match = /^\s*```sh\n([\s\S]*?)\n```/.exec(part);
      if (!match) throw new Error(`a "${MARKER}" marker is not followed by a \`\`\`sh block`);
      return match[1]!;
    });
}

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? 1, stdout, stderr });
    });
  });
}

describe("the README's Slack flow, as written, against phasegate dev --slack-fake", { timeout: 360_000 }, () => {
  let dev: PhasegateDev;
  let slackPort: number;
  before(async () => {
    slackPort = await freePort();
    // As the README starts it: the playbooks whose gates post to the fake's channel.
    dev = await startPhasegateDev({ env: { PHASEGATE_PLAYBOOKS: 'deploy/slack/playbooks' }, args: ['--slack-fake', '--slack-port', String(slackPort)] });
  });
  after(() => dev?.stop());

  it('names the fake in the banner, and the README shows one flow with both clicks', () => {
    assert.match(dev.output(), new RegExp(`Slack \\(fake\\)\\s+http://127\\.0\\.0\\.1:${slackPort}`));
    const flows = slackFlows(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    assert.equal(flows.length, 1);
    for (const part of ['phasegate demo env', 'phasegate demo alert', '__fake/click', 'user=U0GUEST', 'user=U0DEMO']) assert.ok(flows[0]!.includes(part), part);
  });

  it('runs every command of the flow; the clicks are answered as the README says and the case moves', async () => {
    const [flow] = slackFlows(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^(TEMPORAL_|PHASEGATE_|AWS_)/.test(key)) env[key] = value;
    env.PHASEGATE_STATE_DIR = dev.stateDir;
    const run = await bash(['set -euo pipefail', flow!, 'echo "=== case $CASE"'].join('\n'), env);
    assert.equal(run.code, 0, `the README flow failed:\n${run.stderr}\n--- stdout ---\n${run.stdout}\n--- phasegate dev ---\n${dev.output()}`);

    const lines = run.stdout.trim().split('\n');
    const caseId = /^=== case (\d+)$/m.exec(run.stdout)?.[1];
    assert.ok(caseId, run.stdout);
    const answers = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { status: number; answer: string });
    assert.equal(answers.length, 2, run.stdout);
    assert.equal(answers[0]!.status, 200);
    assert.match(answers[0]!.answer, /Nothing was decided \(UnmappedSlackUser\): Slack user U0GUEST of workspace T0PHASEGATE is not mapped/);
    assert.equal(answers[1]!.status, 200);
    assert.match(answers[1]!.answer, new RegExp(`You approved approval #1 to move case ${caseId} to "Containment, Eradication and Recovery"`));

    // What the README says happens next: the case moves and the message is rewritten.
    const state = await waitFor('the move', async () => {
      const response = await fetch(`${dev.apiUrl}/v1/cases/${caseId}`, { headers: { authorization: `Bearer ${dev.demoToken}` } });
      const s = (await response.json()) as CaseState;
      return s.status === 'Containment, Eradication and Recovery' ? s : undefined;
    }, 30_000);
    assert.deepEqual(state.decisions.map((d) => [d.approvalId, d.decision, d.by, d.proof]), [[1, 'approve', 'demo', 'attested']]);
    assert.ok(state.refusals?.some((r) => r.type === 'UnmappedSlackUser' && r.by === 'slack:T0PHASEGATE/U0GUEST'), 'the refused click is on the case');
    const page = await waitFor('the rewritten message on the fake page', async () => {
      const html = await (await fetch(`http://127.0.0.1:${slackPort}/`)).text();
      return html.includes(`Approved: case ${caseId} moves to Containment, Eradication and Recovery`) ? html : undefined;
    }, 30_000);
    assert.match(page, /Approved by <b>demo<\/b>/);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { playbooksCommand } from '../../src/cli/commands/playbooks';
import { SHIPPED_DIR, cleanup, playbookYaml, tempDir } from './helpers';

const ROOT = join(__dirname, '..', '..');

interface Run {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

/** Runs the command in a real Node process, so the exit code is the one a shell or CI would see. */
function runValidate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const script = "require('./src/cli/commands/playbooks').playbooksCommand().parseAsync(process.argv.slice(1), { from: 'user' })";
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '-e', script, 'validate', ...args],
      { cwd: ROOT, env: { ...process.env, PHASEGATE_PLAYBOOKS: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(new Error(`could not run the command: ${error.message}`));
        const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
        resolve({ code: error ? (error.code as number) : 0, stdout: lines(stdout), stderr: lines(stderr) });
      },
    );
  });
}

const dirs: string[] = [];
after(() => cleanup(dirs));

describe('phasegate playbooks validate', () => {
  it('prints one line per valid playbook and exits 0', async () => {
    const run = await runValidate([SHIPPED_DIR]);
    assert.deepEqual(run.stderr, []);
    assert.equal(run.code, 0);
    const gated = '"Containment, Eradication and Recovery", "Post-incident Activities", close';
    assert.deepEqual(run.stdout, [
      `✓ ${join(SHIPPED_DIR, 'guardduty-high-severity.yaml')}: guardduty-high-severity (3 steps, approvals before: ${gated})`,
      `✓ ${join(SHIPPED_DIR, 'nist-800-61-default.yaml')}: nist-800-61-default (3 steps, approvals before: ${gated})`,
    ]);
  });

  it('says "none" when nothing needs approval, and counts a single step', async () => {
    const dir = await tempDir({ 'one.yaml': playbookYaml('one-step') });
    dirs.push(dir);
    const run = await runValidate([dir]);
    assert.equal(run.code, 0);
    assert.deepEqual(run.stdout, [`✓ ${join(dir, 'one.yaml')}: one-step (1 step, approvals before: none)`]);
  });

  it('prints every error on its own line to stderr and exits 1', async () => {
    const dir = await tempDir({
      'a.yaml': playbookYaml('dup'),
      'b.yaml': playbookYaml('dup'),
      'c.yaml': playbookYaml('oxford').replace('Detection and Analysis', 'Containment, Eradication, and Recovery'),
      'd.yaml': `${playbookYaml('typo')}    approval: { aprovers: [alice] }\n`,
    });
    dirs.push(dir);
    const run = await runValidate([dir]);
    assert.equal(run.code, 1);
    assert.deepEqual(run.stdout, []);
    assert.equal(run.stderr.length, 4, run.stderr.join('\n'));
    assert.match(run.stderr[0]!, new RegExp(`^${escape(join(dir, 'c.yaml'))}: step 1 "Containment, Eradication, and Recovery": unknown-status: .*did you mean "Containment, Eradication and Recovery"`));
    assert.match(run.stderr[1]!, new RegExp(`^${escape(join(dir, 'd.yaml'))}: step 1 "Detection and Analysis": missing-field: approval needs "approvers"`));
    assert.match(run.stderr[2]!, new RegExp(`^${escape(join(dir, 'd.yaml'))}: step 1 "Detection and Analysis": unknown-field: unknown field "aprovers" \\(did you mean "approvers"\\?\\)`));
    assert.match(run.stderr[3]!, new RegExp(`^${escape(join(dir, 'b.yaml'))}: name: duplicate-name: name "dup" is already used by ${escape(join(dir, 'a.yaml'))}`));
  });

  it('fails with no-directory for a missing directory', async () => {
    const run = await runValidate(['/nonexistent/phasegate-playbooks']);
    assert.equal(run.code, 1);
    assert.deepEqual(run.stdout, []);
    assert.equal(run.stderr.length, 1);
    assert.match(run.stderr[0]!, /^\/nonexistent\/phasegate-playbooks: \(document\): no-directory: cannot read the playbook directory: it does not exist/);
  });

  it('refuses an escalation.notify URL in one line that says to name a channel instead', async () => {
    const dir = await tempDir({
      'url.yaml': `${playbookYaml('older-hook')}  - status: Containment, Eradication and Recovery\n    approval: { approvers: [alice], timeout: 1h, onTimeout: escalate, escalation: { approvers: [bob], notify: "https://hooks.example.com/escalations?token=t0k3n" } }\n`,
    });
    dirs.push(dir);
    const run = await runValidate([dir]);
    assert.equal(run.code, 1);
    assert.deepEqual(run.stdout, []);
    assert.deepEqual(run.stderr, [
      `${join(dir, 'url.yaml')}: step 2 "Containment, Eradication and Recovery": notify-url: approval.escalation.notify is a URL, and phasegate no longer sends to URLs written in playbooks: add the endpoint to the worker's channels file (PHASEGATE_CHANNELS) as a signed webhook channel and name that channel here, e.g. notify: [soc-pager]`,
    ]);
  });

  it('checks PHASEGATE_PLAYBOOKS when no directory is given', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const run = await runValidate([], { PHASEGATE_PLAYBOOKS: dir });
    assert.equal(run.code, 1);
    assert.deepEqual(run.stderr, [`${dir}: (document): no-playbooks: the directory has no playbook (*.yaml or *.yml) file; phasegate needs at least one to handle alerts`]);
  });

  it('checks ./playbooks when neither is given', async () => {
    const run = await runValidate([]);
    assert.equal(run.code, 0, run.stderr.join('\n'));
    assert.deepEqual(
      run.stdout.map((line) => line.replace(/ \(.*$/, '')),
      ['✓ playbooks/guardduty-high-severity.yaml: guardduty-high-severity', '✓ playbooks/nist-800-61-default.yaml: nist-800-61-default'],
    );
  });

  describe('with a channels file', () => {
    // The variables these entries name are not set: validate reads names only.
    const CHANNELS = 'channels:\n  - { name: ir-leads-slack, type: slack, urlEnv: PHASEGATE_SLACK_UNSET }\n  - { name: soc-pager, type: webhook, url: "https://pager.example.com/x", secretEnv: NOTIFY_SECRET_UNSET }\n';
    const notifying = (approval: string) =>
      `${playbookYaml('notifying')}  - status: Containment, Eradication and Recovery\n    approval: ${approval}\n`;

    it('finds every channel a playbook names that the file does not define', async () => {
      const dir = await tempDir({
        'p.yaml': notifying('{ approvers: [alice], notify: [ir-leads-slack, ir-leads-slak], timeout: 1h, onTimeout: escalate, escalation: { approvers: [bob], notify: [ciso-pager] } }'),
        'channels.yml.txt': CHANNELS,
      });
      dirs.push(dir);
      const channels = join(dir, 'channels.yml.txt');
      const run = await runValidate([dir, '--channels', channels], { PHASEGATE_SLACK_UNSET: undefined });
      assert.equal(run.code, 1);
      assert.deepEqual(run.stdout, []);
      const step = 'step 2 "Containment, Eradication and Recovery"';
      assert.deepEqual(run.stderr, [
        `${join(dir, 'p.yaml')}: ${step}: unknown-channel: approval.notify[1] names "ir-leads-slak", which ${channels} does not define (it defines "ir-leads-slack", "soc-pager")`,
        `${join(dir, 'p.yaml')}: ${step}: unknown-channel: approval.escalation.notify[0] names "ciso-pager", which ${channels} does not define (it defines "ir-leads-slack", "soc-pager")`,
      ]);
    });

    it('passes playbooks whose channels all exist, taking the file from PHASEGATE_CHANNELS', async () => {
      const dir = await tempDir({ 'p.yaml': notifying('{ approvers: [alice], notify: [soc-pager, ir-leads-slack], remindEvery: 1h }'), 'c.txt': CHANNELS });
      dirs.push(dir);
      const run = await runValidate([dir], { PHASEGATE_CHANNELS: join(dir, 'c.txt') });
      assert.deepEqual(run.stderr, []);
      assert.equal(run.code, 0);
      const broken = await tempDir({ 'p.yaml': notifying('{ approvers: [alice], notify: [pager] }'), 'c.txt': CHANNELS });
      dirs.push(broken);
      const refused = await runValidate([broken], { PHASEGATE_CHANNELS: join(broken, 'c.txt') });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr[0]!, /unknown-channel: approval\.notify\[0\] names "pager"/);
    });

    it('refuses a channel that would sign notifications with the inbound webhook secret', async () => {
      const dir = await tempDir({
        'p.yaml': playbookYaml('plain'),
        'c.txt': 'channels:\n  - { name: soc-pager, type: webhook, url: "https://pager.example.com/x", secretEnv: PHASEGATE_WEBHOOK_SECRET }\n',
      });
      dirs.push(dir);
      const run = await runValidate([dir, '--channels', join(dir, 'c.txt')]);
      assert.equal(run.code, 1);
      assert.deepEqual(run.stderr, [
        `${join(dir, 'c.txt')} (PHASEGATE_CHANNELS): channels[0].secretEnv: must not name PHASEGATE_WEBHOOK_SECRET: that is the secret POST /v1/alerts accepts, so every receiver could post alerts; give notifications a secret of their own (PHASEGATE_NOTIFY_SECRET, or another variable)`,
      ]);
    });

    it('reports a channels file it cannot use in one line', async () => {
      const dir = await tempDir({ 'p.yaml': playbookYaml('plain'), 'c.txt': 'channels:\n  - { name: Bad_Name, type: slack, urlEnv: X }\n' });
      dirs.push(dir);
      const run = await runValidate([dir, '--channels', join(dir, 'c.txt')]);
      assert.equal(run.code, 1);
      assert.deepEqual(run.stderr, [`${join(dir, 'c.txt')} (PHASEGATE_CHANNELS): channels[0].name: must be 1–63 lowercase letters, digits and "-", starting with a letter or digit`]);
    });
  });

  it('is a "playbooks" command with a "validate [dir]" sub-command', () => {
    const command = playbooksCommand();
    assert.equal(command.name(), 'playbooks');
    const validate = command.commands.find((c) => c.name() === 'validate');
    assert.ok(validate);
    assert.deepEqual(
      validate.registeredArguments.map((a) => [a.name(), a.required]),
      [['dir', false]],
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

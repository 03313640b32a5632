import assert from 'node:assert/strict';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  DEFAULT_PLAYBOOK_DIR,
  PlaybookLoadError,
  defaultPlaybookDir,
  loadPlaybookDirectory,
  loadPlaybooksOrThrow,
} from '../../src/config/playbook-directory';
import { SHIPPED_DIR, cleanup, playbookYaml, tempDir } from './helpers';

const dirs: string[] = [];
const temp = async (files?: Record<string, string>): Promise<string> => {
  const dir = await tempDir(files);
  dirs.push(dir);
  return dir;
};
after(() => cleanup(dirs));

describe('loadPlaybookDirectory', () => {
  it('loads the shipped playbooks', async () => {
    const { playbooks, errors } = await loadPlaybookDirectory(SHIPPED_DIR);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      playbooks.map((p) => p.playbook.name),
      ['guardduty-high-severity', 'nist-800-61-default'],
    );
    assert.equal(playbooks[0]!.file, join(SHIPPED_DIR, 'guardduty-high-severity.yaml'));
  });

  it('reads .yaml and .yml in name order and ignores other files, dot-files and directories', async () => {
    const dir = await temp({
      'b.yml': playbookYaml('bravo'),
      'a.yaml': playbookYaml('alpha'),
      'C.YAML': playbookYaml('charlie'),
      'notes.txt': 'not: [a playbook',
      'README.md': '# playbooks',
      '.#a.yaml': 'editor lock file',
      'a.yaml.bak': 'name: [',
    });
    await mkdir(join(dir, 'archive.yaml'));
    const { playbooks, errors } = await loadPlaybookDirectory(dir);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      playbooks.map((p) => [p.file, p.playbook.name]),
      [
        [join(dir, 'C.YAML'), 'charlie'],
        [join(dir, 'a.yaml'), 'alpha'],
        [join(dir, 'b.yml'), 'bravo'],
      ],
    );
  });

  it('follows symlinks to playbook files, as ConfigMap mounts use them', async () => {
    const dir = await temp();
    await symlink(join(SHIPPED_DIR, 'nist-800-61-default.yaml'), join(dir, 'default.yaml'));
    const { playbooks, errors } = await loadPlaybookDirectory(dir);
    assert.deepEqual(errors, []);
    assert.equal(playbooks[0]!.playbook.name, 'nist-800-61-default');
  });

  it('reports a duplicate name across files on the later file', async () => {
    const dir = await temp({ '1-first.yaml': playbookYaml('same'), '2-second.yaml': playbookYaml('same'), '3-other.yaml': playbookYaml('other') });
    const { playbooks, errors } = await loadPlaybookDirectory(dir);
    assert.equal(playbooks.length, 3);
    assert.deepEqual(
      errors.map((e) => [e.file, e.rule]),
      [[join(dir, '2-second.yaml'), 'duplicate-name']],
    );
    assert.match(errors[0]!.message, new RegExp(`already used by ${join(dir, '1-first.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('keeps the good playbooks and reports every problem of the bad ones', async () => {
    const dir = await temp({
      'good.yaml': playbookYaml('good'),
      'bad-status.yaml': playbookYaml('bad-status').replace('Detection and Analysis', 'Detection & Analysis'),
      'bad-syntax.yaml': 'name: [\n',
    });
    const { playbooks, errors } = await loadPlaybookDirectory(dir);
    assert.deepEqual(
      playbooks.map((p) => p.playbook.name),
      ['good'],
    );
    assert.deepEqual(
      errors.map((e) => [e.file, e.rule]),
      [
        [join(dir, 'bad-status.yaml'), 'unknown-status'],
        [join(dir, 'bad-syntax.yaml'), 'yaml-syntax'],
      ],
    );
    assert.match(errors[0]!.message, /did you mean "Detection and Analysis"/);
  });

  it('reports a missing directory as one no-directory error', async () => {
    const missing = join(await temp(), 'does-not-exist');
    const { playbooks, errors } = await loadPlaybookDirectory(missing);
    assert.deepEqual(playbooks, []);
    assert.deepEqual(
      errors.map((e) => [e.file, e.rule]),
      [[missing, 'no-directory']],
    );
    assert.match(errors[0]!.message, /does not exist \(ENOENT\).*PHASEGATE_PLAYBOOKS/);
  });

  it('reports a file given as the directory as no-directory', async () => {
    const dir = await temp({ 'x.yaml': playbookYaml('x') });
    const { errors } = await loadPlaybookDirectory(join(dir, 'x.yaml'));
    assert.deepEqual(
      errors.map((e) => e.rule),
      ['no-directory'],
    );
    assert.match(errors[0]!.message, /not a directory/);
  });

  it('reports an empty directory as no-playbooks', async () => {
    const dir = await temp();
    const { playbooks, errors } = await loadPlaybookDirectory(dir);
    assert.deepEqual(playbooks, []);
    assert.deepEqual(
      errors.map((e) => [e.file, e.rule]),
      [[dir, 'no-playbooks']],
    );
  });

  it('reports a directory holding only other files as no-playbooks', async () => {
    const dir = await temp({ 'playbook.txt': playbookYaml('ignored'), 'playbook.json': '{}' });
    const { errors } = await loadPlaybookDirectory(dir);
    assert.deepEqual(
      errors.map((e) => e.rule),
      ['no-playbooks'],
    );
  });

  it('reports a dangling symlink as an unreadable file', async () => {
    const dir = await temp({ 'good.yaml': playbookYaml('good') });
    await symlink(join(dir, 'gone.yaml'), join(dir, 'link.yaml'));
    const { playbooks, errors } = await loadPlaybookDirectory(dir);
    assert.equal(playbooks.length, 1);
    assert.deepEqual(
      errors.map((e) => [e.file, e.rule]),
      [[join(dir, 'link.yaml'), 'unreadable-file']],
    );
  });
});

describe('loadPlaybooksOrThrow', () => {
  it('returns the playbooks when all are valid', async () => {
    const dir = await temp();
    await copyFile(join(SHIPPED_DIR, 'guardduty-high-severity.yaml'), join(dir, 'gd.yaml'));
    const playbooks = await loadPlaybooksOrThrow(dir);
    assert.deepEqual(
      playbooks.map((p) => p.playbook.name),
      ['guardduty-high-severity'],
    );
  });

  it('throws one error listing every problem, with a summary first line', async () => {
    const dir = await temp({ 'a.yaml': playbookYaml('Bad Name'), 'b.yaml': 'name: [\n' });
    await writeFile(join(dir, 'c.yaml'), playbookYaml('fine'));
    const err = await loadPlaybooksOrThrow(dir).then(
      () => assert.fail('expected a PlaybookLoadError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PlaybookLoadError);
    assert.equal(err.errors.length, 2);
    const lines = err.message.split('\n');
    assert.match(lines[0]!, new RegExp(`^2 playbook problems in .*: .*a\\.yaml: name: bad-name: .*\\(and 1 more; run "phasegate playbooks validate `));
    assert.deepEqual(lines.slice(1), err.errors.map((e) => `  ${e.toString()}`));
    assert.match(lines[2]!, /b\.yaml: line \d+, column \d+: yaml-syntax: /);
  });

  it('throws for a missing directory', async () => {
    await assert.rejects(loadPlaybooksOrThrow(join(await temp(), 'nope')), (e: unknown) => e instanceof PlaybookLoadError && /no-directory/.test(e.message));
  });
});

describe('defaultPlaybookDir', () => {
  it('uses PHASEGATE_PLAYBOOKS, else ./playbooks', () => {
    assert.equal(defaultPlaybookDir({ PHASEGATE_PLAYBOOKS: '/etc/phasegate/playbooks' }), '/etc/phasegate/playbooks');
    assert.equal(defaultPlaybookDir({}), DEFAULT_PLAYBOOK_DIR);
    assert.equal(defaultPlaybookDir({ PHASEGATE_PLAYBOOKS: '  ' }), './playbooks');
  });
});

/**
 * Runtime parity: the suite and CI run on the Node.js LTS line the image ships. The Dockerfile's base
 * image, package.json (engines, @types/node), scripts/lts-node.sh (which .ci/run puts first on PATH)
 * and the README must name the same major version, and the Node that script provides must load the
 * native modules phasegate needs (Temporal's core bridge, swc for the workflow bundler).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { run } from './compose-cli';
import { readDockerfile } from './dockerfile';

const ROOT = resolve(__dirname, '..', '..');

async function imageMajor(): Promise<number> {
  const dockerfile = await readDockerfile(join(ROOT, 'Dockerfile'));
  const image = dockerfile.args.NODE_IMAGE ?? '';
  const match = /^node:(\d+)-bookworm(?:-slim)?$/.exec(image);
  assert.ok(match, `the Dockerfile's NODE_IMAGE is not a node:<major>-bookworm image: ${image}`);
  for (const s of dockerfile.stages) assert.equal(s.image, image, `stage ${s.name} builds FROM the same Node image`);
  return Number(match[1]);
}

describe('the Node.js runtime: image, package.json, CI and README agree', { timeout: 5 * 60_000 }, () => {
  it('names one LTS major everywhere: Dockerfile, engines, @types/node, lts-node.sh, README', async () => {
    const major = await imageMajor();
    assert.equal(major % 2, 0, 'an even (LTS) major');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
    const lowest = /^\^(\d+)\.\d+\.\d+\b/.exec(pkg.engines.node);
    assert.equal(Number(lowest?.[1]), major, `engines.node (${pkg.engines.node}) starts at the image's Node ${major}`);
    assert.match(pkg.devDependencies['@types/node'] ?? '', new RegExp(`^\\^${major}\\.`), 'the types describe the Node that runs the code');
    const script = await readFile(join(ROOT, 'scripts/lts-node.sh'), 'utf8');
    assert.match(script, new RegExp(`^NODE_VERSION="\\$\\{PHASEGATE_NODE_VERSION:-${major}\\.\\d+\\.\\d+\\}"$`, 'm'));
    const ci = await readFile(join(ROOT, '.ci/run'), 'utf8');
    assert.match(ci, /^PATH="\$\(scripts\/lts-node\.sh\):\$PATH"$/m, '.ci/run puts that Node first on PATH');
    assert.match(ci, /^npm install && npm test$/m, 'and runs the README\'s test command with it');
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, new RegExp(`Requirements: Node\\.js ${major}\\b`), 'the README names the same version');
  });

  it('scripts/lts-node.sh gives a Node of that major that loads the core bridge and swc', async () => {
    const major = await imageMajor();
    const found = await run('bash', [join(ROOT, 'scripts/lts-node.sh')], { cwd: ROOT, env: process.env, timeoutMs: 4 * 60_000 });
    assert.equal(found.code, 0, found.stderr);
    const node = join(found.stdout.trim(), 'node');
    const probe = `
      const swc = require('@swc/core');
      const out = swc.transformSync('const a: number = 1', { jsc: { parser: { syntax: 'typescript' } } }).code;
      const { NativeConnection } = require('@temporalio/worker');
      // Nothing listens on port 1: the native bridge must load and report a transport error.
      NativeConnection.connect({ address: '127.0.0.1:1', connectTimeout: 500 }).then(
        () => process.exit(3),
        (err) => console.log(JSON.stringify({ node: process.versions.node, swc: out.trim(), bridgeError: err.constructor.name })),
      );`;
    const result = await run(node, ['-e', probe], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeoutMs: 60_000 });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as { node: string; swc: string; bridgeError: string };
    assert.ok(Number(report.node.split('.')[0]) >= major, `Node ${report.node} is older than the image's ${major}`);
    assert.equal(report.swc, 'var a = 1;');
    assert.equal(report.bridgeError, 'TransportError');
  });

  it('under CI, the suite itself runs on that Node', { skip: process.env.CI ? false : 'only CI (.ci/run) promises the image\'s Node' }, async () => {
    assert.ok(Number(process.versions.node.split('.')[0]) >= (await imageMajor()), `the suite runs on Node ${process.versions.node}`);
  });
});

/**
 * The Dockerfile and .dockerignore, read as text (no Docker engine here): a glibc base, a non-root
 * runtime user, the production environment, and a build stage that runs the project's own scripts.
 * test/deploy/image-build.test.ts runs the same build steps for real.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  copiesFrom,
  dockerignoreMatcher,
  envOf,
  execForm,
  instructionsOf,
  lastArgs,
  readDockerfile,
  runCommands,
  stage,
  type Dockerfile,
} from './dockerfile';

const ROOT = resolve(__dirname, '..', '..');

describe('Dockerfile', () => {
  let dockerfile: Dockerfile;

  before(async () => {
    dockerfile = await readDockerfile(join(ROOT, 'Dockerfile'));
  });

  it('builds and runs on glibc Debian bookworm Node 22 images, never Alpine/musl', () => {
    assert.deepEqual(dockerfile.stages.map((s) => s.name), ['build', 'runtime']);
    for (const s of dockerfile.stages) {
      assert.match(s.image, /^node:22[.\d]*-bookworm(-slim)?$/, `stage ${s.name} is based on ${s.image}`);
      assert.doesNotMatch(s.image, /alpine|musl/);
    }
  });

  it('installs with npm install honouring the lock, builds, bundles the workflows, then drops dev dependencies', () => {
    const commands = runCommands(stage(dockerfile, 'build'));
    const index = (re: RegExp): number => {
      const i = commands.findIndex((c) => re.test(c));
      assert.notEqual(i, -1, `no build step matches ${re}: ${JSON.stringify(commands)}`);
      return i;
    };
    assert.ok(!commands.some((c) => /\bnpm ci\b/.test(c)), 'npm ci fails on this lock file (see the Dockerfile comment)');
    const install = index(/^npm install\b/);
    const build = index(/\bnpm run build\b/);
    const bundle = index(/\bnpm run bundle:workflows\b/);
    const prune = index(/\bnpm prune --omit=dev\b/);
    assert.ok(install < build && build <= bundle && bundle < prune, `order: ${JSON.stringify(commands)}`);
    // The lock file is copied before the install, so the dependency layer is cached across source changes.
    const build0 = stage(dockerfile, 'build');
    const firstCopy = instructionsOf(build0, 'COPY')[0]!;
    assert.match(firstCopy.args, /package\.json/);
    assert.match(firstCopy.args, /package-lock\.json/);
  });

  it('has the bundle:workflows script it runs', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts['bundle:workflows'] ?? '', /scripts\/bundle-workflows\.ts/);
  });

  it('runs as a non-root user (uid 10001) in the runtime stage', () => {
    const runtime = stage(dockerfile, 'runtime');
    const user = lastArgs(runtime, 'USER');
    assert.ok(user, 'the runtime stage sets USER');
    const [name, group] = user.split(':');
    assert.equal(name, '10001');
    assert.notEqual(group, '0', 'not the root group');
    // The uid exists in /etc/passwd (useradd), so tools that look the user up work.
    assert.ok(runCommands(runtime).some((c) => /useradd\b.*--uid 10001\b/.test(c)));
    // The USER comes after every RUN: nothing later runs as root.
    const lastRun = Math.max(...instructionsOf(runtime, 'RUN').map((i) => i.line));
    assert.ok(instructionsOf(runtime, 'USER').every((i) => i.line > lastRun));
  });

  it('sets the production environment, with the pre-built workflow bundle', () => {
    const env = envOf(stage(dockerfile, 'runtime'));
    assert.equal(env.NODE_ENV, 'production');
    assert.equal(env.PHASEGATE_WORKFLOW_BUNDLE, '/app/dist/workflow-bundle.js');
    assert.equal(env.PHASEGATE_HOST, '0.0.0.0');
  });

  it('ships only dist, bin, playbooks, production node_modules and package.json', () => {
    const runtime = stage(dockerfile, 'runtime');
    assert.equal(lastArgs(runtime, 'WORKDIR'), '/app');
    const copies = copiesFrom(runtime, 'build');
    assert.deepEqual(copies.map((c) => c.source).sort(), ['/app/bin', '/app/dist', '/app/node_modules', '/app/package.json', '/app/playbooks']);
    // Nothing reaches the runtime stage from the build context directly.
    const fromContext = instructionsOf(runtime, 'COPY').filter((i) => !/--from=/.test(i.args));
    assert.deepEqual(fromContext, []);
    assert.deepEqual(instructionsOf(runtime, 'ADD'), []);
  });

  it('starts node /app/bin/phasegate.js, the worker by default, with health checks left to compose', () => {
    const runtime = stage(dockerfile, 'runtime');
    assert.deepEqual(execForm(lastArgs(runtime, 'ENTRYPOINT'), 'ENTRYPOINT'), ['node', '/app/bin/phasegate.js']);
    assert.deepEqual(execForm(lastArgs(runtime, 'CMD'), 'CMD'), ['worker']);
    // Only the server has an HTTP health route; a HEALTHCHECK here would fail for the worker.
    assert.deepEqual(instructionsOf(runtime, 'HEALTHCHECK'), []);
  });

  it('keeps host builds, state and secrets out of the build context, but not the sources', async () => {
    const ignored = dockerignoreMatcher(await readFile(join(ROOT, '.dockerignore'), 'utf8'));
    for (const path of ['node_modules/fastify/package.json', 'dist/src/cli/main.js', '.git/HEAD', '.phasegate/temporal.sqlite', '.env', '.env.production']) {
      assert.equal(ignored(path), true, `${path} must not be sent to the Docker build`);
    }
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/cli/main.ts', 'workflows/index.ts', 'activities/index.ts', 'scripts/bundle-workflows.ts', 'bin/phasegate.js', 'playbooks/nist-800-61-default.yaml']) {
      assert.equal(ignored(path), false, `${path} is needed by the build`);
    }
  });
});

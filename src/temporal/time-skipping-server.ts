/**
 * Temporal's time-skipping test server (Java, from Maven Central) for tests that wait hours or days
 * of workflow time in seconds. The SDK would download a native build from the internet; we fetch the
 * jars with Maven into our cache and hand the SDK a wrapper script that `exec`s java, so the SDK's
 * SIGKILL reaches the JVM itself and no orphan keeps the port.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const TEST_SERVER_POM = resolve(__dirname, '..', '..', 'scripts', 'test-server', 'pom.xml');
export const TEST_SERVER_MAIN_CLASS = 'io.temporal.testserver.TestServer';

export interface TimeSkippingServerOptions {
  stateDir: string;
  onProgress?: (line: string) => void;
}

export type TestServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export async function locateTimeSkippingServer(options: TimeSkippingServerOptions): Promise<TestServerExecutable> {
  const home = join(options.stateDir, 'test-server');
  const libDir = join(home, 'lib');
  const wrapper = join(home, 'temporal-test-server');
  if (!(await hasTestServerJar(libDir))) {
    if (!(await commandWorks('mvn', ['-v'])) || !(await commandWorks('java', ['-version']))) {
      options.onProgress?.('no Maven/Java here: falling back to the SDK download of the test server');
      return { type: 'cached-download' };
    }
    options.onProgress?.('Fetching the Temporal Java test server from Maven Central (first run only)…');
    await fetchJars(libDir);
  }
  await writeFile(
    wrapper,
    `#!/bin/sh\n# Written by phasegate: runs Temporal's Java time-skipping test server with the given port.\nexec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp '${libDir}/*' ${TEST_SERVER_MAIN_CLASS} "$@"\n`,
    { mode: 0o755 },
  );
  return { type: 'existing-path', path: wrapper };
}

async function fetchJars(libDir: string): Promise<void> {
  await mkdir(join(libDir, '..'), { recursive: true });
  const staging = `${libDir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await execFileAsync('mvn', ['-B', '-q', '-f', TEST_SERVER_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`], {
    maxBuffer: 32 * 1024 * 1024,
  });
  await rm(libDir, { recursive: true, force: true });
  await rename(staging, libDir);
}

async function hasTestServerJar(libDir: string): Promise<boolean> {
  try {
    await access(libDir, fsConstants.R_OK);
    return (await readdir(libDir)).some((name) => name.startsWith('temporal-test-server-'));
  } catch {
    return false;
  }
}

async function commandWorks(command: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(command, args);
    return true;
  } catch {
    return false;
  }
}

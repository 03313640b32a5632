/**
 * Maven for fetching Java servers the tests run (ElasticMQ) with their whole dependency tree from
 * Maven Central. `mvn` on PATH when there is one; otherwise Apache Maven itself, which Maven Central
 * also publishes (org.apache.maven:apache-maven:bin.tar.gz): fetched with plain HTTPS GETs of the
 * repository layout, checked against the published SHA-512, and cached under the state folder by
 * version, so the next run finds it again without a network.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';
export const MAVEN_VERSION = '3.9.11';

export async function locateMaven(stateDir: string, onProgress: (line: string) => void = () => undefined): Promise<string> {
  if (await commandWorks('mvn', ['-v'])) return 'mvn';
  const home = join(stateDir, 'maven', `apache-maven-${MAVEN_VERSION}`);
  const mvn = join(home, 'bin', 'mvn');
  if (await isExecutable(mvn)) return mvn;

  onProgress(`No mvn here: fetching Apache Maven ${MAVEN_VERSION} from Maven Central (first run only)…`);
  const base = `${MAVEN_CENTRAL}/org/apache/maven/apache-maven/${MAVEN_VERSION}/apache-maven-${MAVEN_VERSION}-bin.tar.gz`;
  const [archive, expected] = await Promise.all([download(base), download(`${base}.sha512`)]);
  const actual = createHash('sha512').update(archive).digest('hex');
  const published = expected.toString('utf8').trim().split(/\s+/)[0]!.toLowerCase();
  if (actual !== published) throw new Error(`${base}: SHA-512 ${actual} does not match the published ${published}`);

  // Unpack beside the target and rename, so a concurrent run never sees half a Maven.
  await mkdir(join(home, '..'), { recursive: true });
  const staging = await mkdtemp(join(home, '..', '.unpack-'));
  try {
    const tarball = join(staging, 'maven.tar.gz');
    await writeFile(tarball, archive);
    await execFileAsync('tar', ['-xzf', tarball, '-C', staging]);
    await rm(home, { recursive: true, force: true });
    await rename(join(staging, `apache-maven-${MAVEN_VERSION}`), home);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return mvn;
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

export async function commandWorks(command: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(command, args);
    return true;
  } catch {
    return false;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * ElasticMQ, a real SQS-compatible server (it speaks the SQS JSON and query protocols, visibility
 * timeouts, receive counts and redrive policies to a dead-letter queue), for the SQS intake tests.
 *
 * The jars come from Maven Central (org.elasticmq:elasticmq-server_2.13 and its dependency tree,
 * resolved by Maven from scripts/elasticmq/pom.xml) and are cached under
 * `.phasegate/elasticmq/<version>/lib`, so later runs start it without a network. Java >= 11 runs it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { freePort } from '../../src/temporal/dev-server';
import { defaultStateDir } from '../../src/temporal/temporal-cli';
import { commandWorks, locateMaven } from './maven';

const execFileAsync = promisify(execFile);

const ROOT = resolve(__dirname, '..', '..');
export const ELASTICMQ_POM = join(ROOT, 'scripts', 'elasticmq', 'pom.xml');
export const ELASTICMQ_MAIN_CLASS = 'org.elasticmq.server.Main';
/** ElasticMQ accepts any credentials; the SDK still signs, so it needs some. */
export const ELASTICMQ_CREDENTIALS = { accessKeyId: 'phasegate-test', secretAccessKey: 'phasegate-test' };
export const ELASTICMQ_REGION = 'us-east-1';

export async function elasticMqVersion(): Promise<string> {
  const pom = await readFile(ELASTICMQ_POM, 'utf8');
  const version = /<elasticmq\.version>([^<]+)<\/elasticmq\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`${ELASTICMQ_POM} names no <elasticmq.version>`);
  return version;
}

/** The folder holding ElasticMQ's jars, fetched on first use. */
export async function locateElasticMqJars(stateDir = defaultStateDir(), onProgress: (line: string) => void = () => undefined): Promise<string> {
  const version = await elasticMqVersion();
  const libDir = join(stateDir, 'elasticmq', version, 'lib');
  if (await hasServerJar(libDir, version)) return libDir;
  if (!(await commandWorks('java', ['-version']))) throw new Error('ElasticMQ needs Java (>= 11) on PATH to run the SQS intake tests');

  const mvn = await locateMaven(stateDir, onProgress);
  onProgress(`Fetching ElasticMQ ${version} and its dependencies from Maven Central (first run only)…`);
  await mkdir(join(libDir, '..'), { recursive: true });
  // Resolve into a private folder and rename: test files running at once never see half the jars.
  const staging = await mkdtemp(join(libDir, '..', '.lib-'));
  try {
    await execFileAsync(mvn, ['-B', '-q', '-f', ELASTICMQ_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, `-Delasticmq.version=${version}`], {
      maxBuffer: 32 * 1024 * 1024,
    });
    if (!(await hasServerJar(libDir, version))) {
      await rm(libDir, { recursive: true, force: true });
      await rename(staging, libDir);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return libDir;
}

export interface ElasticMq {
  /** http://127.0.0.1:<port>: the SQS endpoint (AWS_ENDPOINT_URL_SQS). */
  url: string;
  /** An SQS client on it, for the test's own calls. */
  sqs: SQSClient;
  /** Creates a queue with a dead-letter queue and a redrive policy after maxReceiveCount receives. */
  createQueueWithDlq(name: string, options: { visibilityTimeoutSeconds: number; maxReceiveCount: number }): Promise<{ queueUrl: string; dlqUrl: string }>;
  /** Visible + in flight + delayed: what the queue still holds. */
  depth(queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }>;
  stop(): Promise<void>;
}

export async function startElasticMq(options: { stateDir?: string; onProgress?: (line: string) => void } = {}): Promise<ElasticMq> {
  const libDir = await locateElasticMqJars(options.stateDir, options.onProgress);
  const port = await freePort();
  const work = await mkdtemp(join(tmpdir(), 'phasegate-elasticmq-'));
  const config = join(work, 'elasticmq.conf');
  // node-address makes the queue URLs it hands out point at this very port.
  await writeFile(
    config,
    [
      'include classpath("application.conf")',
      `node-address { protocol = http, host = "127.0.0.1", port = ${port}, context-path = "" }`,
      `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }`,
      'rest-stats { enabled = false }',
      '',
    ].join('\n'),
  );
  // Spawned directly (no shell): stop() signals the JVM itself, so no orphan keeps the port.
  const child: ChildProcess = spawn(
    'java',
    ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss1m', '-Xmx256m', `-Dconfig.file=${config}`, '-cp', `${libDir}/*`, ELASTICMQ_MAIN_CLASS],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const url = `http://127.0.0.1:${port}`;
  const sqs = new SQSClient({ region: ELASTICMQ_REGION, endpoint: url, credentials: ELASTICMQ_CREDENTIALS });
  const stop = async (): Promise<void> => {
    sqs.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(work, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ElasticMQ exited with code ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/?Action=ListQueues`);
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ElasticMQ did not listen on ${url} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    sqs,
    stop,
    async createQueueWithDlq(name, { visibilityTimeoutSeconds, maxReceiveCount }) {
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(visibilityTimeoutSeconds),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
          },
        }),
      );
      return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
    },
    async depth(queueUrl) {
      const { Attributes: a = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },
  };
}

async function hasServerJar(libDir: string, version: string): Promise<boolean> {
  try {
    await access(libDir, fsConstants.R_OK);
    return (await readdir(libDir)).includes(`elasticmq-server_2.13-${version}.jar`);
  } catch {
    return false;
  }
}

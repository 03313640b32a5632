/**
 * The real Temporal CLI (v1.5.1, the binary the suite runs its dev server with) reading an encrypted
 * case through phasegate's codec server: `temporal workflow show` and `temporal workflow query` with
 * `--codec-endpoint` and `--codec-auth` print the plain case, without them only ciphertext;
 * `temporal workflow start` through the codec seals what it sends, and without it starts a case the
 * encrypting worker never runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { buildServer } from '../../src/server/app';
import { UserDirectory, sha256Hex } from '../../src/config/users';
import { ENCRYPTED_ENCODING, EncryptionCodec, PLAINTEXT_REFUSED, generateKey, parseKeyRing } from '../../src/temporal/payload-encryption';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { temporalCliPath } from '../browser/phasegate-dev';
import { testPlaybook } from '../helpers/playbooks';
import { startSandboxFixture, type SandboxFixture } from '../helpers/sir-sandbox';
import { TEST_PLAYBOOKS, connectToTestServer, uniqueTaskQueue, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { registerTestKeyRing } from '../helpers/replay-server';

const TOKEN = `pg_codec_cli_${randomUUID().replace(/-/g, '')}`;
const SECRET_TITLE = 'Credential stuffing against payroll-portal by mallory';
const SECRET_IP = '198.51.100.23';
const CER = 'Containment, Eradication and Recovery';
const ENCRYPTED_B64 = Buffer.from(ENCRYPTED_ENCODING).toString('base64');

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the Temporal CLI through the codec server', { timeout: 180_000 }, () => {
  const ring = `cli-key:${generateKey()}`;
  registerTestKeyRing(ring);
  const codec = new EncryptionCodec(parseKeyRing(ring));
  const taskQueue = uniqueTaskQueue('codec-cli');
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let codecUrl: string;
  let cli: string;
  let workflowId: string;
  let startedCase: CasePlaybookInput;

  const client = (): Client => new Client({ connection: env.connection, namespace: env.namespace, dataConverter: { payloadCodecs: [codec] } });

  before(async () => {
    env = await connectToTestServer();
    fx = await startSandboxFixture();
    cli = await temporalCliPath();
    worker = await createPhasegateWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      sir: fx.sir,
      taskQueue,
      playbooks: TEST_PLAYBOOKS,
      dataConverter: { payloadCodecs: [codec] },
    });
    running = worker.run();

    const users = new UserDirectory([{ name: 'alice', groups: ['ir-leads'], tokenSha256: sha256Hex(TOKEN) }]);
    app = await buildServer({ client: env.client, playbooks: [], users, webhookSecrets: ['unused'], codec: { codec, corsOrigins: [] } });
    codecUrl = `${await app.listen({ port: 0, host: '127.0.0.1' })}/codec`;

    const input: CasePlaybookInput = (startedCase = {
      fingerprint: `codec-cli-${randomUUID()}`,
      severity: 7,
      newCase: {
        title: SECRET_TITLE,
        description: `Logins from ${SECRET_IP}`,
        engagementType: 'Security Incident',
        resolverType: 'Self',
        reportedIncidentStartDate: '2026-11-20T10:00:00.000Z',
        impactedAccounts: ['777788889999'],
        watchers: [],
        threatActorIpAddresses: [{ ipAddress: SECRET_IP }],
      },
      playbook: testPlaybook('codec-cli', ['Detection and Analysis', { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]),
    });
    const handle = await client().workflow.start('casePlaybook', testCaseOptions(input, taskQueue));
    workflowId = handle.workflowId;
    await waitFor('the case to wait for approval', async () => {
      const state = await handle.query<{ pendingApproval?: { target: string } }>('state');
      return state.pendingApproval?.target === CER ? true : undefined;
    }, 60_000);
  });

  after(async () => {
    await client().workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);
    worker?.shutdown();
    await running;
    await app?.close();
    await fx?.sandbox.close();
    await env?.teardown();
  });

  function temporal(...args: string[]): Promise<CliRun> {
    const childEnv: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TEMPORAL_')) childEnv[k] = v;
    return new Promise((resolveRun) => {
      execFile(
        cli,
        [...args, '--address', process.env.TEMPORAL_ADDRESS!, '--namespace', env.namespace ?? 'default'],
        { env: childEnv, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => resolveRun({ code: error ? Number((error as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr }),
      );
    });
  }

  const withCodec = (endpoint = codecUrl): string[] => ['--codec-endpoint', endpoint, '--codec-auth', `Bearer ${TOKEN}`];

  function startedInput(showJson: string): JsonPayload {
    const history = JSON.parse(showJson) as { events: Array<{ workflowExecutionStartedEventAttributes?: { input?: { payloads?: JsonPayload[] } } }> };
    const payload = history.events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.ok(payload, 'the started event has an input');
    return payload;
  }

  const text = (b64?: string): string => Buffer.from(b64 ?? '', 'base64').toString();

  it('workflow show without the codec prints only ciphertext', async () => {
    const run = await temporal('workflow', 'show', '--workflow-id', workflowId, '--output', 'json');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(startedInput(run.stdout).metadata?.encoding, ENCRYPTED_B64);
    for (const secret of [SECRET_TITLE, SECRET_IP, Buffer.from(SECRET_IP).toString('base64')]) assert.ok(!run.stdout.includes(secret));
  });

  for (const [name, endpoint] of [['', undefined], [' (endpoint with a trailing slash)', 'slash']] as const) {
    it(`workflow show --codec-endpoint --codec-auth decodes every payload of the history${name}`, async () => {
      const run = await temporal('workflow', 'show', '--workflow-id', workflowId, '--output', 'json', ...withCodec(endpoint ? `${codecUrl}/` : codecUrl));
      assert.equal(run.code, 0, run.stderr);
      const input = startedInput(run.stdout);
      assert.equal(text(input.metadata?.encoding), 'json/plain');
      const decoded = JSON.parse(text(input.data)) as CasePlaybookInput;
      assert.equal(decoded.newCase?.title, SECRET_TITLE);
      assert.deepEqual(decoded.newCase?.threatActorIpAddresses, [{ ipAddress: SECRET_IP }]);
      assert.ok(!run.stdout.includes(ENCRYPTED_B64), 'no payload of the history is left encrypted');
    });
  }

  it('workflow query --codec-endpoint --codec-auth prints the decoded case state', async () => {
    const plain = await temporal('workflow', 'query', '--workflow-id', workflowId, '--name', 'state', '--output', 'json', ...withCodec());
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(plain.stdout.includes(CER), `the pending approval's target is readable:\n${plain.stdout}`);
    assert.match(plain.stdout, /pendingApproval/);

    const sealed = await temporal('workflow', 'query', '--workflow-id', workflowId, '--name', 'state', '--output', 'json');
    assert.ok(!sealed.stdout.includes(CER), `without the codec the answer stays sealed:\n${sealed.stdout}`);
  });

  it('without --codec-auth the codec server refuses, and the CLI fails with its reason and prints nothing of the case', async () => {
    const run = await temporal('workflow', 'query', '--workflow-id', workflowId, '--name', 'state', '--output', 'json', '--codec-endpoint', codecUrl);
    assert.notEqual(run.code, 0);
    // The CLI relays the codec server's 401 and its JSON reason.
    assert.match(run.stderr, /Unauthorized: .*missing bearer token/);
    assert.ok(!run.stdout.includes(CER));
  });

  it('workflow start without the codec: the encrypting worker never runs the case, and no SIR call is made', async () => {
    const fingerprint = `codec-cli-plain-${randomUUID()}`;
    const input: CasePlaybookInput = { ...startedCase, fingerprint };
    const before = fx.sandbox.calls.list().length;
    const run = await temporal(
      'workflow', 'start', '--workflow-id', `case-${fingerprint}`, '--type', 'casePlaybook', '--task-queue', taskQueue, '--input', JSON.stringify(input),
    );
    assert.equal(run.code, 0, run.stderr);
    const handle = env.client.workflow.getHandle(`case-${fingerprint}`);
    try {
      const failure = await waitFor('the worker to refuse the workflow task', async () => {
        const { events } = await handle.fetchHistory();
        return events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
      });
      assert.match(failure, new RegExp(`^${PLAINTEXT_REFUSED}`));
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(fx.sandbox.calls.list().length, before, 'no SIR call');
      assert.ok(!(await handle.fetchHistory()).events?.some((e) => e.workflowTaskCompletedEventAttributes), 'no task of the case completed');
    } finally {
      await handle.terminate('test done').catch(() => undefined);
    }
  });

  it('workflow start --codec-endpoint seals its input with phasegate\'s key (/encode)', async () => {
    const id = `codec-cli-start-${randomUUID()}`;
    const secret = { note: `started by the CLI from ${SECRET_IP}` };
    const run = await temporal(
      'workflow', 'start', '--workflow-id', id, '--type', 'codecCliProbe', '--task-queue', uniqueTaskQueue('codec-cli-nobody'),
      '--input', JSON.stringify(secret), ...withCodec(),
    );
    assert.equal(run.code, 0, run.stderr);
    try {
      const raw = await env.client.workflow.getHandle(id).fetchHistory();
      const [payload] = raw.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
      assert.equal(Buffer.from(payload?.metadata?.encoding ?? []).toString(), ENCRYPTED_ENCODING);
      assert.ok(!Buffer.from(payload?.data ?? []).toString('latin1').includes(SECRET_IP));
      const [opened] = await codec.decode([payload!]);
      assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), secret);
    } finally {
      await env.client.workflow.getHandle(id).terminate('test done').catch(() => undefined);
    }
  });
});

/**
 * `phasegate intake` as it runs in production: the real process, long-polling a real SQS-compatible
 * server (ElasticMQ, fetched from Maven Central) whose queues have a dead-letter queue and a redrive
 * policy, starting cases on the shared Temporal dev server (in a namespace of this file's own, so the
 * fixed task queue `phasegate` is ours alone), with a worker and the SIR sandbox behind it.
 *
 * What must hold: each message becomes its case and is then deleted; a repeated message joins its
 * case; a message no check lets through reaches the dead-letter queue after maxReceiveCount receives,
 * counted; an alert naming an existing SIR case is one of those (nothing on a queue vouches that its
 * sender may adopt a case); SIR's own events (an EventBridge rule for aws.security-ir targets the
 * queue) reach the case they are about, which notices a change made outside phasegate, while the
 * events phasegate's own calls caused are ignored and malformed ones dead-lettered; an intake
 * SIGKILLed with alerts handed to Temporal but not yet deleted loses nothing and starts nothing twice
 * once restarted; SIGTERM finishes what is in hand and exits 0; with Temporal down at start nothing is
 * taken from the queue, and a message in hand when Temporal goes away is held until it returns
 * instead of spending its receives.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { CaseState } from '../../src/domain/case/state';
import { alertFingerprint } from '../../src/domain/alert/fingerprint';
import { stateQuery } from '../../src/domain/contract/messages';
import { PlaybookCatalog } from '../../src/domain/playbook/catalog';
import { loadPlaybooksOrThrow } from '../../src/config/playbook-directory';
import { TASK_QUEUE, caseWorkflowId } from '../../src/domain/contract/temporal-names';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { SANDBOX_DEFAULT_CREDENTIALS } from '../../src/sandbox';
import { ELASTICMQ_CREDENTIALS, ELASTICMQ_REGION, startElasticMq, type ElasticMq } from '../helpers/elasticmq';
import { SAMPLE_CASE, startSandboxFixture, type SandboxFixture } from '../helpers/sir-sandbox';
import { startSqsProxy, type SqsProxy } from '../helpers/sqs-proxy';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { connectToOwnNamespace } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const ROOT = resolve(__dirname, '..', '..');

const GUARDDUTY_EVENT = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'guardduty-finding-event.json'), 'utf8')) as Record<string, unknown>;
const GENERIC_ALERT = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'generic-alert.json'), 'utf8')) as Record<string, unknown>;

/** An EventBridge GuardDuty finding event (high severity) with its own finding id. */
function finding(id: string): Record<string, unknown> {
  const event = structuredClone(GUARDDUTY_EVENT);
  (event.detail as Record<string, unknown>).id = id;
  return event;
}

const ANALYST = 'arn:aws:iam::123456789012:user/analyst';

/**
 * A generic alert type only the test's `adoption-probe` playbook takes: an alert of it that names a
 * SIR case has a playbook, so only the adoption check stands between it and the case.
 */
const ADOPTION_PROBE_PLAYBOOK = [
  'name: adoption-probe',
  'match: {source: generic, type: "Phasegate:AdoptionProbe/*"}',
  'case: {engagementType: Investigation, resolverType: Self, title: "probe {{alert.id}}", description: "probe"}',
  'steps:',
  '  - status: Detection and Analysis',
  '',
].join('\n');

const workflowIdOf = (findingId: string): string => caseWorkflowId(alertFingerprint({ source: 'guardduty', id: findingId }));
const clientTokenOf = (findingId: string): string => `phasegate:${alertFingerprint({ source: 'guardduty', id: findingId })}`;

interface IntakeProcess {
  child: ChildProcess;
  metricsUrl: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('phasegate intake: SQS → Temporal', { timeout: 15 * 60_000 }, () => {
  let mq: ElasticMq;
  let env: TestWorkflowEnvironment;
  let sandbox: SandboxFixture;
  let worker: Worker;
  let workerRunning: Promise<void>;
  let namespace: string;
  let playbooksDir: string;
  const intakes: IntakeProcess[] = [];
  const proxies: SqsProxy[] = [];
  const tcpProxies: TcpProxy[] = [];
  /**
   * EventBridge's rule for aws.security-ir events, targeting a queue: the sandbox POSTs each SIR event
   * here and it is sent on, unchanged, to `sirEventsQueue` (events of the other tests, with no queue
   * set, are dropped).
   */
  let eventBridge: Server;
  let sirEventsQueue: string | undefined;

  before(async () => {
    mq = await startElasticMq({ onProgress: (line) => console.log(`[elasticmq] ${line}`) });
    const address = process.env.TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the suite through `npm test`, which starts a dev server');
    env = await connectToOwnNamespace('phasegate-intake');
    namespace = env.namespace!;
    eventBridge = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const sent = sirEventsQueue ? mq.sqs.send(new SendMessageCommand({ QueueUrl: sirEventsQueue, MessageBody: body })) : Promise.resolve();
        sent.then(
          () => response.writeHead(200).end(),
          () => response.writeHead(500).end(),
        );
      });
    });
    await new Promise<void>((resolveListen) => eventBridge.listen(0, '127.0.0.1', resolveListen));
    const eventsUrl = `http://127.0.0.1:${(eventBridge.address() as AddressInfo).port}/events`;
    // The secret signs the sandbox's POSTs; EventBridge drops that header on its way to the queue.
    sandbox = await startSandboxFixture({ events: { url: eventsUrl, secret: 'unused-by-the-queue' } });
    // The shipped playbooks, as a worker reads its directory; the intake below is given one of them.
    const playbooks = new PlaybookCatalog((await loadPlaybooksOrThrow(join(ROOT, 'playbooks'))).map((p) => p.playbook));
    worker = await createPhasegateWorker({ connection: env.nativeConnection, namespace, sir: sandbox.sir, taskQueue: TASK_QUEUE, playbooks });
    workerRunning = worker.run();
    // Only the GuardDuty high-severity playbook: a generic alert then has no playbook (a poison message).
    playbooksDir = await mkdtemp(join(tmpdir(), 'phasegate-intake-playbooks-'));
    await copyFile(join(ROOT, 'playbooks', 'guardduty-high-severity.yaml'), join(playbooksDir, 'guardduty-high-severity.yaml'));
    await writeFile(join(playbooksDir, 'adoption-probe.yaml'), ADOPTION_PROBE_PLAYBOOK);
  });

  after(async () => {
    for (const intake of intakes) if (intake.child.exitCode === null && intake.child.signalCode === null) intake.child.kill('SIGKILL');
    for (const proxy of proxies) await proxy.close();
    for (const proxy of tcpProxies) await proxy.close();
    if (env) {
      for await (const wf of env.client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        await env.client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test done').catch(() => undefined);
      }
    }
    worker?.shutdown();
    await workerRunning;
    await sandbox?.sandbox.close();
    if (eventBridge) {
      eventBridge.closeAllConnections();
      await new Promise((resolveClose) => eventBridge.close(resolveClose));
    }
    await env?.teardown();
    await mq?.stop();
    if (playbooksDir) await rm(playbooksDir, { recursive: true, force: true });
  });

  function startIntake(queueUrl: string, options: { endpoint?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<IntakeProcess> {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'phasegate.js'), 'intake', '--queue-url', queueUrl, '--metrics-address', '127.0.0.1:0', ...(options.args ?? ['--wait-time', '1'])],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TEMPORAL_NAMESPACE: namespace,
          PHASEGATE_PLAYBOOKS: playbooksDir,
          PHASEGATE_LOG_LEVEL: 'info',
          PHASEGATE_KEYS: '',
          AWS_REGION: ELASTICMQ_REGION,
          AWS_ACCESS_KEY_ID: ELASTICMQ_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: ELASTICMQ_CREDENTIALS.secretAccessKey,
          AWS_ENDPOINT_URL_SQS: options.endpoint ?? mq.url,
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const intake: IntakeProcess = { child, metricsUrl: '', output: () => output, exited };
    intakes.push(intake);
    return waitFor(
      'the intake to poll',
      async () => {
        if (child.exitCode !== null) throw new Error(`the intake exited with ${child.exitCode}:\n${output.slice(-3000)}`);
        const line = output.split('\n').find((l) => l.includes('"phasegate intake polling"'));
        if (!line) return undefined;
        intake.metricsUrl = (JSON.parse(line) as { metrics: string }).metrics;
        return intake;
      },
      90_000,
      { intervalMs: 200, lastSeen: () => output.slice(-2000) },
    );
  }

  async function metric(intake: IntakeProcess, name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`${intake.metricsUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  async function send(queueUrl: string, bodies: string[]): Promise<void> {
    for (let i = 0; i < bodies.length; i += 10) {
      const entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: String(i + j), MessageBody: body }));
      const sent = await mq.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      assert.equal(sent.Failed?.length ?? 0, 0, JSON.stringify(sent.Failed));
    }
  }

  async function drained(queueUrl: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${queueUrl} to be empty`,
      async () => {
        const depth = await mq.depth(queueUrl);
        return depth.visible + depth.inFlight + depth.delayed === 0 ? true : undefined;
      },
      timeoutMs,
      { intervalMs: 250 },
    );
  }

  async function runsOf(workflowId: string): Promise<number> {
    let runs = 0;
    for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs += 1;
    return runs;
  }

  function createCaseCalls(clientToken: string): number {
    return sandbox.sandbox.calls
      .list({ operation: 'CreateCase' })
      .filter((c) => c.statusCode === 201 && (c.requestBody as { clientToken?: string }).clientToken === clientToken).length;
  }

  describe('one intake on a queue with a dead-letter queue (visibility 4 s, maxReceiveCount 3)', () => {
    let queueUrl: string;
    let dlqUrl: string;
    let intake: IntakeProcess;

    before(async () => {
      ({ queueUrl, dlqUrl } = await mq.createQueueWithDlq(`alerts-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 4, maxReceiveCount: 3 }));
      intake = await startIntake(queueUrl);
    });
    after(async () => {
      intake.child.kill('SIGTERM');
      await intake.exited;
    });

    it('turns each message into its case, opened in SIR, and deletes the message', async () => {
      const ids = [1, 2, 3].map((n) => `intake-${n}-${randomUUID().replace(/-/g, '')}`);
      await send(queueUrl, ids.map((id) => JSON.stringify(finding(id))));
      await drained(queueUrl);
      for (const id of ids) {
        const description = await env.client.workflow.getHandle(workflowIdOf(id)).describe();
        assert.equal(description.type, 'casePlaybook');
        assert.equal(description.taskQueue, TASK_QUEUE);
      }
      await waitFor('one CreateCase per alert', async () => (ids.every((id) => createCaseCalls(clientTokenOf(id)) === 1) ? true : undefined), 60_000);
      assert.equal(await metric(intake, 'phasegate_intake_messages_total', 'outcome="accepted"'), 3);
      assert.deepEqual(await mq.depth(dlqUrl), { visible: 0, inFlight: 0, delayed: 0 });
    });

    it('joins the case when the same finding arrives twice: one workflow, one SIR case', async () => {
      const id = `intake-dup-${randomUUID().replace(/-/g, '')}`;
      const duplicatesBefore = await metric(intake, 'phasegate_intake_messages_total', 'outcome="duplicate"');
      await send(queueUrl, [JSON.stringify(finding(id))]);
      await drained(queueUrl);
      await send(queueUrl, [JSON.stringify(finding(id))]);
      await drained(queueUrl);
      assert.equal(await metric(intake, 'phasegate_intake_messages_total', 'outcome="duplicate"'), duplicatesBefore + 1);
      await waitFor('the case in visibility', async () => ((await runsOf(workflowIdOf(id))) > 0 ? true : undefined));
      assert.equal(await runsOf(workflowIdOf(id)), 1);
      await waitFor('the SIR case', async () => (createCaseCalls(clientTokenOf(id)) === 1 ? true : undefined), 60_000);
      // Give a wrongly started second case time to show up before counting again.
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(createCaseCalls(clientTokenOf(id)), 1);
    });

    it('leaves refused messages to the redrive policy: in the dead-letter queue after 3 receives, counted by reason', async () => {
      const before = {
        malformed: await metric(intake, 'phasegate_alert_refusals_total', 'reason="malformed_json"'),
        invalid: await metric(intake, 'phasegate_alert_refusals_total', 'reason="invalid_alert"'),
        noPlaybook: await metric(intake, 'phasegate_alert_refusals_total', 'reason="no_playbook"'),
        deadLettered: await metric(intake, 'phasegate_intake_dead_lettered_total'),
      };
      const generic = { ...GENERIC_ALERT, id: `intake-poison-${randomUUID()}` };
      const poison = ['this is not JSON', JSON.stringify({ id: 5, severity: 'high' }), JSON.stringify(generic)];
      await send(queueUrl, poison);

      const inDlq = await waitFor(
        'the three poison messages in the dead-letter queue',
        async () => ((await mq.depth(dlqUrl)).visible === 3 ? true : undefined),
        90_000,
        { intervalMs: 500 },
      );
      assert.ok(inDlq);
      await drained(queueUrl);
      const received = await mq.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );
      assert.deepEqual((received.Messages ?? []).map((m) => m.Body).sort(), [...poison].sort());

      // Every receive is counted by reason, and the last receive of each as headed for the DLQ.
      assert.equal(await metric(intake, 'phasegate_alert_refusals_total', 'reason="malformed_json"'), before.malformed + 3);
      assert.equal(await metric(intake, 'phasegate_alert_refusals_total', 'reason="invalid_alert"'), before.invalid + 3);
      assert.equal(await metric(intake, 'phasegate_alert_refusals_total', 'reason="no_playbook"'), before.noPlaybook + 3);
      assert.equal(await metric(intake, 'phasegate_intake_dead_lettered_total'), before.deadLettered + 3);
      assert.match(intake.output(), /message refused on its last receive: the queue moves it to its dead-letter queue/);
      // Logs name the reason and where, never the alert's contents.
      assert.equal(intake.output().includes('this is not JSON'), false);
      await assert.rejects(env.client.workflow.getHandle(caseWorkflowId(alertFingerprint({ source: 'generic', id: generic.id }))).describe(), /not found/i);
    });

    it('serves /healthz while polling', async () => {
      const response = await fetch(`${intake.metricsUrl}/healthz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true, detail: 'polling' });
    });
  });

  describe('what the code shared with POST /v1/alerts decides: SIR events, case adoption', () => {
    let queueUrl: string;
    let dlqUrl: string;
    let intake: IntakeProcess;
    const ownIdentity = (): string => sandbox.sandbox.principalOf(SANDBOX_DEFAULT_CREDENTIALS.accessKeyId);

    before(async () => {
      ({ queueUrl, dlqUrl } = await mq.createQueueWithDlq(`shared-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 4, maxReceiveCount: 3 }));
      sirEventsQueue = queueUrl;
      // The worker's SIR calls are phasegate's own: SIR names its key in the events they cause.
      intake = await startIntake(queueUrl, { env: { PHASEGATE_SIR_IDENTITY: ownIdentity() } });
    });
    after(async () => {
      sirEventsQueue = undefined;
      intake.child.kill('SIGTERM');
      await intake.exited;
    });

    const caseState = (workflowId: string): Promise<CaseState> => env.client.workflow.getHandle(workflowId).query(stateQuery);
    const caseUntil = (workflowId: string, what: string, test: (s: CaseState) => boolean, timeoutMs = 60_000): Promise<CaseState> =>
      waitFor(what, async () => {
        const state = await caseState(workflowId);
        return test(state) ? state : undefined;
      }, timeoutMs, { intervalMs: 100 });

    /** The analyst's console: PATCH /__sandbox/cases/:id, whose SIR event EventBridge puts on the queue. */
    async function analystChanges(caseId: string, change: Record<string, string>): Promise<void> {
      const response = await fetch(`${sandbox.sandbox.url}/__sandbox/cases/${caseId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ updatedBy: ANALYST, ...change }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(((await response.json()) as { event?: { delivery: string } }).event?.delivery, 'delivered', 'the event is on the queue');
    }

    it('a Case Updated event off the queue makes a case notice a change made in SIR outside phasegate; the events of its own calls are ignored', async () => {
      const ignoredBefore = await metric(intake, 'phasegate_sir_events_total', 'outcome="ignored"');
      const id = `intake-drift-${randomUUID().replace(/-/g, '')}`;
      await send(queueUrl, [JSON.stringify(finding(id))]);
      const waiting = await caseUntil(workflowIdOf(id), 'the case at its Containment gate', (st) => st.pendingApproval?.target === 'Containment, Eradication and Recovery');
      const caseId = waiting.caseId!;
      // SIR published the case's own move and start comment; the intake took them off the queue and left them out.
      await waitFor('the events of phasegate\'s own calls ignored', async () => {
        const ignored = await metric(intake, 'phasegate_sir_events_total', 'outcome="ignored"');
        return ignored >= ignoredBefore + 2 ? true : undefined;
      }, 60_000);
      const own = sandbox.sandbox.eventDeliveries().filter((d) => d.event.detail.caseId === caseId);
      assert.ok(own.length >= 2 && own.every((d) => d.event.detail.updatedBy === ownIdentity()), JSON.stringify(own.map((d) => d.event)));
      await drained(queueUrl);
      assert.equal((await caseState(workflowIdOf(id))).sirEvents, undefined, 'no event of its own calls reached the case');
      // The intake finds the case of an event through visibility, which trails a new case by a moment.
      await waitFor('SirCaseId in visibility', async () => {
        const { count } = await env.client.workflow.count(`WorkflowId = '${workflowIdOf(id)}' AND SirCaseId = '${caseId}'`);
        return count === 1 ? true : undefined;
      });

      const signalledBefore = await metric(intake, 'phasegate_sir_events_total', 'outcome="signalled"');
      await analystChanges(caseId, { caseStatus: 'Post-incident Activities' });
      // The slow re-read is 15 minutes away: only the event can make the case know this soon.
      const state = await caseUntil(workflowIdOf(id), 'the case to adopt the change', (st) => (st.driftCount ?? 0) >= 1, 30_000);
      assert.equal(state.status, 'Post-incident Activities');
      assert.deepEqual([state.drifts![0]!.source, state.drifts![0]!.event, state.drifts![0]!.found.status], ['event', `Case Updated by ${ANALYST}`, 'Post-incident Activities']);
      assert.equal(state.sirEvents, 1);
      assert.equal(await metric(intake, 'phasegate_sir_events_total', 'outcome="signalled"'), signalledBefore + 1);
      assert.equal(sandbox.sandbox.getCase(caseId)?.caseStatus, 'Post-incident Activities', 'never moved back');
      // The case says so on SIR; that comment's event (phasegate's own) is taken off the queue before the next test counts.
      await waitFor('the drift comment on SIR', async () => (sandbox.sandbox.getComments(caseId).some((c) => /phasegate adopted what SIR says/.test(c.body)) ? true : undefined), 30_000);
      await waitFor('every event of the case delivered', async () => (sandbox.sandbox.eventDeliveries().every((d) => d.state !== 'pending') ? true : undefined));
      await drained(queueUrl);
      assert.deepEqual(await mq.depth(dlqUrl), { visible: 0, inFlight: 0, delayed: 0 });
      await env.client.workflow.getHandle(workflowIdOf(id)).terminate('test done');
    });

    it('deletes well-formed events it has nothing to do for, as the API answers them 202; leaves a malformed one to the dead-letter queue', async () => {
      const envelope = (detailType: string, detail: Record<string, unknown>) =>
        JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': detailType, source: 'aws.security-ir', account: '123456789012', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail });
      const before = {
        ignored: await metric(intake, 'phasegate_sir_events_total', 'outcome="ignored"'),
        refused: await metric(intake, 'phasegate_sir_events_total', 'outcome="refused"'),
        ignoredMessages: await metric(intake, 'phasegate_intake_messages_total', 'outcome="ignored"'),
        alertRefusals: await metric(intake, 'phasegate_alerts_total', 'outcome="refused"'),
        deadLettered: await metric(intake, 'phasegate_intake_dead_lettered_total'),
      };
      const malformed = envelope('Case Updated', { updatedBy: ANALYST });
      await send(queueUrl, [envelope('Case Updated', { caseId: '9999999999', updatedBy: ANALYST }), envelope('Case Created', { caseId: '9999999998', updatedBy: ANALYST }), malformed]);

      await waitFor('the malformed event in the dead-letter queue', async () => ((await mq.depth(dlqUrl)).visible === 1 ? true : undefined), 90_000, { intervalMs: 500 });
      await drained(queueUrl);
      // Kept invisible for the rest of the file, so the next test counts its own dead letter alone.
      const received = await mq.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }));
      assert.deepEqual((received.Messages ?? []).map((m) => m.Body), [malformed]);
      assert.equal(await metric(intake, 'phasegate_sir_events_total', 'outcome="ignored"'), before.ignored + 2);
      assert.equal(await metric(intake, 'phasegate_intake_messages_total', 'outcome="ignored"'), before.ignoredMessages + 2);
      assert.equal(await metric(intake, 'phasegate_sir_events_total', 'outcome="refused"'), before.refused + 3, 'each receive of the malformed one');
      assert.equal(await metric(intake, 'phasegate_alerts_total', 'outcome="refused"'), before.alertRefusals, 'a SIR event is not counted as an alert');
      assert.equal(await metric(intake, 'phasegate_intake_dead_lettered_total'), before.deadLettered + 1);
      assert.match(intake.output(), /SIR event refused \(invalid_sir_event\); left for the queue's redrive policy/);
      assert.match(intake.output(), /no running phasegate case drives SIR case 9999999999/);
    });

    it('refuses an alert naming an existing SIR case (nothing on a queue vouches its sender may adopt): dead-lettered, counted, no workflow, the case untouched', async () => {
      const { caseId } = await sandbox.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
      const before = await metric(intake, 'phasegate_alert_refusals_total', 'reason="adoption_not_allowed"');
      const alert = { ...GENERIC_ALERT, id: `intake-adopt-${randomUUID()}`, type: 'Phasegate:AdoptionProbe/Test', caseId };
      await send(queueUrl, [JSON.stringify(alert)]);

      await waitFor('the alert in the dead-letter queue', async () => ((await mq.depth(dlqUrl)).visible === 1 ? true : undefined), 90_000, { intervalMs: 500 });
      await drained(queueUrl);
      assert.equal(await metric(intake, 'phasegate_alert_refusals_total', 'reason="adoption_not_allowed"'), before + 3, 'each receive');
      assert.match(intake.output(), /alert refused \(adoption_not_allowed\); left for the queue's redrive policy/);
      await assert.rejects(env.client.workflow.getHandle(caseWorkflowId(alertFingerprint({ source: 'generic', id: alert.id }))).describe(), /not found/i);
      assert.deepEqual(sandbox.sandbox.calls.list({ caseId }).map((c) => c.operation), [], 'only the test touched the SIR case');
      assert.equal(sandbox.sandbox.getComments(caseId).length, 0);

      // The same alert without caseId opens a case of its own: the playbook takes it.
      const { caseId: _, ...fresh } = { ...alert, id: `intake-adopt-fresh-${randomUUID()}` };
      await send(queueUrl, [JSON.stringify(fresh)]);
      await drained(queueUrl);
      assert.equal((await env.client.workflow.getHandle(caseWorkflowId(alertFingerprint({ source: 'generic', id: fresh.id }))).describe()).type, 'casePlaybook');
    });
  });

  it('SIGKILLed after handing a batch to Temporal but before deleting it, then restarted: nothing lost, no case started twice', async () => {
    const { queueUrl, dlqUrl } = await mq.createQueueWithDlq(`kill-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 4, maxReceiveCount: 5 });
    const proxy = await startSqsProxy(mq.url);
    proxies.push(proxy);
    const ids = Array.from({ length: 36 }, (_, n) => `intake-kill-${n}-${randomUUID().replace(/-/g, '')}`);
    // 36 findings and 4 of them again: 40 messages, 36 cases.
    const bodies = [...ids, ...ids.slice(0, 4)].map((id) => JSON.stringify(finding(id)));
    await send(queueUrl, bodies);

    // Deletes pass for a while, then are held: the intake is mid-batch, its alerts with Temporal.
    proxy.holdDeletes(12);
    const first = await startIntake(queueUrl, { endpoint: proxy.url, args: ['--wait-time', '1', '--batch-size', '10'] });
    await waitFor('deletes held mid-batch', async () => (proxy.held >= 5 ? true : undefined), 60_000, { lastSeen: () => first.output().slice(-1500) });
    const heldAtKill = proxy.held;
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    proxy.dropHeld();

    // The killed intake's messages were handed on but never deleted: SQS still holds them.
    const afterKill = await mq.depth(queueUrl);
    assert.ok(afterKill.inFlight + afterKill.visible >= heldAtKill, `queue after the kill: ${JSON.stringify(afterKill)}, held ${heldAtKill}`);

    const second = await startIntake(queueUrl, { endpoint: proxy.url });
    await drained(queueUrl, 120_000);
    assert.deepEqual(await mq.depth(dlqUrl), { visible: 0, inFlight: 0, delayed: 0 }, 'nothing went to the dead-letter queue');
    // Every message whose delete was held (its alert already with Temporal) came back and joined its case.
    const duplicates = await metric(second, 'phasegate_intake_messages_total', 'outcome="duplicate"');
    assert.ok(duplicates >= heldAtKill, `${duplicates} duplicates after the restart, ${heldAtKill} deletes held at the kill`);

    // Every finding has exactly one workflow run and one SIR CreateCase.
    await waitFor('every case in visibility', async () => {
      let count = 0;
      for await (const wf of env.client.workflow.list({ query: `WorkflowId STARTS_WITH 'case-guardduty-intake-kill-'` })) {
        assert.ok(ids.some((id) => workflowIdOf(id) === wf.workflowId), `unexpected workflow ${wf.workflowId}`);
        count += 1;
      }
      return count >= ids.length ? true : undefined;
    }, 60_000);
    for (const id of ids) assert.equal(await runsOf(workflowIdOf(id)), 1, `runs of ${workflowIdOf(id)}`);
    await waitFor('one CreateCase per finding', async () => (ids.every((id) => createCaseCalls(clientTokenOf(id)) >= 1) ? true : undefined), 120_000);
    for (const id of ids) assert.equal(createCaseCalls(clientTokenOf(id)), 1, `CreateCase calls for ${id}`);

    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });

  it('on SIGTERM stops polling, finishes the messages in hand and exits 0', async () => {
    const { queueUrl } = await mq.createQueueWithDlq(`term-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    const proxy = await startSqsProxy(mq.url);
    proxies.push(proxy);
    const ids = Array.from({ length: 5 }, (_, n) => `intake-term-${n}-${randomUUID().replace(/-/g, '')}`);
    await send(queueUrl, ids.map((id) => JSON.stringify(finding(id))));
    proxy.holdDeletes();
    const intake = await startIntake(queueUrl, { endpoint: proxy.url });
    // The batch in hand: every message received is handed to Temporal and waits on its delete.
    const inHand = await waitFor(
      'the first batch handed to Temporal, its deletes in flight',
      async () => {
        const inFlight = await metric(intake, 'phasegate_intake_messages_in_flight');
        return inFlight > 0 && proxy.held === inFlight ? inFlight : undefined;
      },
      60_000,
    );

    intake.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(intake.child.exitCode, null, 'the intake waits for its messages in hand');
    // Polling has stopped: a message sent now stays in the queue, as do the ones not yet received.
    await mq.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(finding(`intake-term-late-${randomUUID()}`)) }));

    proxy.release();
    const exit = await intake.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(intake.output(), /phasegate intake stopped/);
    const started: string[] = [];
    for (const id of ids) {
      if (await env.client.workflow.getHandle(workflowIdOf(id)).describe().then(() => true, () => false)) started.push(id);
    }
    assert.equal(started.length, inHand, 'exactly the messages in hand were handed to Temporal');
    assert.deepEqual(await mq.depth(queueUrl), { visible: ids.length - inHand + 1, inFlight: 0, delayed: 0 }, 'those in hand were deleted; nothing else was received');
  });

  it('on SIGTERM during an idle 20 s long poll exits at once', async () => {
    const { queueUrl } = await mq.createQueueWithDlq(`idle-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    const intake = await startIntake(queueUrl, { args: [] });
    await new Promise((r) => setTimeout(r, 1_000));
    const signalled = Date.now();
    intake.child.kill('SIGTERM');
    const exit = await intake.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - signalled < 5_000, `exited ${Date.now() - signalled} ms after SIGTERM`);
  });

  it('holds a message while Temporal is unreachable (kept invisible, not dead-lettered) and hands it on when Temporal is back', async () => {
    // maxReceiveCount 2 and a 2 s visibility: a single extra receive would dead-letter the alert.
    const { queueUrl, dlqUrl } = await mq.createQueueWithDlq(`outage-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 2, maxReceiveCount: 2 });
    const temporal = await startTcpProxy(process.env.TEMPORAL_ADDRESS!);
    tcpProxies.push(temporal);
    const intake = await startIntake(queueUrl, { env: { TEMPORAL_ADDRESS: temporal.address } });

    temporal.cut();
    const id = `intake-outage-${randomUUID().replace(/-/g, '')}`;
    await send(queueUrl, [JSON.stringify(finding(id))]);
    await waitFor('the intake to hold the message', async () => ((await metric(intake, 'phasegate_intake_temporal_retries_total')) >= 1 ? true : undefined), 90_000, {
      intervalMs: 250,
    });
    const health = await fetch(`${intake.metricsUrl}/healthz`);
    assert.equal(health.status, 503);
    assert.match(((await health.json()) as { detail: string }).detail, /Temporal is unreachable/);
    // Three visibility timeouts later the message is still in hand: renewed, never visible again.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.deepEqual(await mq.depth(queueUrl), { visible: 0, inFlight: 1, delayed: 0 });

    temporal.restore();
    await drained(queueUrl, 120_000);
    assert.deepEqual(await mq.depth(dlqUrl), { visible: 0, inFlight: 0, delayed: 0 }, 'the alert was not dead-lettered');
    assert.equal((await env.client.workflow.getHandle(workflowIdOf(id)).describe()).type, 'casePlaybook');
    assert.equal(await metric(intake, 'phasegate_intake_messages_total', 'outcome="accepted"'), 1);
    assert.equal((await fetch(`${intake.metricsUrl}/healthz`)).status, 200);
    intake.child.kill('SIGTERM');
    assert.equal((await intake.exited).code, 0);
  });

  it('leaves a message Temporal rejects for another reason (an unknown namespace) to the redrive policy, counted as failed', async () => {
    const { queueUrl, dlqUrl } = await mq.createQueueWithDlq(`failed-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const intake = await startIntake(queueUrl, { env: { TEMPORAL_NAMESPACE: `no-such-namespace-${randomUUID().slice(0, 8)}` } });
    const body = JSON.stringify(finding(`intake-failed-${randomUUID().replace(/-/g, '')}`));
    await send(queueUrl, [body]);
    await waitFor('the message in the dead-letter queue', async () => ((await mq.depth(dlqUrl)).visible === 1 ? true : undefined), 60_000, { intervalMs: 250 });
    await drained(queueUrl);
    assert.equal(await metric(intake, 'phasegate_intake_messages_total', 'outcome="failed"'), 2, 'one failure per receive');
    assert.equal(await metric(intake, 'phasegate_intake_dead_lettered_total'), 1);
    assert.match(intake.output(), /handing the alert to Temporal failed; left for the queue to deliver again/);
    assert.equal(intake.child.exitCode, null, 'the intake keeps polling');
    intake.child.kill('SIGTERM');
    assert.equal((await intake.exited).code, 0);
  });

  it('refuses to start without a queue, or on a queue it cannot read, with one line and a non-zero exit', async () => {
    const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolveRun) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'phasegate.js'), 'intake', ...args], {
          cwd: ROOT,
          env: {
            ...process.env,
            TEMPORAL_NAMESPACE: namespace,
            PHASEGATE_PLAYBOOKS: playbooksDir,
            PHASEGATE_INTAKE_QUEUE_URL: '',
            AWS_REGION: ELASTICMQ_REGION,
            AWS_ACCESS_KEY_ID: ELASTICMQ_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: ELASTICMQ_CREDENTIALS.secretAccessKey,
            AWS_ENDPOINT_URL_SQS: mq.url,
            ...extraEnv,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
        child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
        child.once('exit', (code) => resolveRun({ code, stdout, stderr }));
      });

    const noQueue = await run([]);
    assert.equal(noQueue.code, 2);
    assert.equal(noQueue.stderr, 'phasegate: no queue: pass --queue-url <url> or set PHASEGATE_INTAKE_QUEUE_URL\n');

    const missing = await run(['--queue-url', `${mq.url}/000000000000/no-such-queue-${randomUUID().slice(0, 8)}`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^phasegate: cannot read the queue http:\/\/127\.0\.0\.1:\d+\/000000000000\/no-such-queue-\w+: QueueDoesNotExist\b[^\n]*\n$/);
  });

  it('takes nothing from the queue while Temporal is unreachable', async () => {
    const { queueUrl } = await mq.createQueueWithDlq(`down-${randomUUID().slice(0, 8)}`, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    await send(queueUrl, [JSON.stringify(finding(`intake-down-${randomUUID()}`))]);
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'phasegate.js'), 'intake', '--queue-url', queueUrl, '--wait-time', '1'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        TEMPORAL_NAMESPACE: namespace,
        PHASEGATE_PLAYBOOKS: playbooksDir,
        AWS_REGION: ELASTICMQ_REGION,
        AWS_ACCESS_KEY_ID: ELASTICMQ_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ELASTICMQ_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_SQS: mq.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    intakes.push({ child, metricsUrl: '', output: () => output, exited: exited.then((code) => ({ code, signal: null })) });
    await waitFor('the intake to notice Temporal is down', async () => (output.includes('Temporal is unreachable; waiting before polling the queue') ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.deepEqual(await mq.depth(queueUrl), { visible: 1, inFlight: 0, delayed: 0 }, 'the message was not received');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});


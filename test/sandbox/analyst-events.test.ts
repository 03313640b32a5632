/**
 * Issue 12 part 6, "the sandbox plays the analyst": PATCH /__sandbox/cases/:caseId changes a case out
 * of band (status, resolver type, closing), the SIR API then shows the change, and the SIR event is
 * POSTed to a loopback receiver as an EventBridge envelope signed with phasegate's webhook scheme,
 * checked here with the server's own verifier.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { apiCallerPrincipal, sandboxOptionsFromEnv, SANDBOX_DEFAULT_CREDENTIALS, type CaseEventEnvelope } from '../../src/sandbox';
import { SirClient } from '../../src/sir';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../src/server/webhook-signature';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import { admin, startTestSandbox, UUID, type SandboxTestContext, type SirResponse } from './signed-http';

const SECRET = 'sandbox-events-test-secret';
const ACCOUNT = '123456789012';
const CALLER = apiCallerPrincipal(ACCOUNT, SANDBOX_DEFAULT_CREDENTIALS.accessKeyId);

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  event: CaseEventEnvelope;
}

/** A loopback HTTP endpoint standing in for POST /v1/alerts: records what arrives, answers from a script. */
class Receiver {
  readonly received: Received[] = [];
  /** Statuses to answer, in order; 202 once it runs out. */
  answers: number[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        receiver.received.push({ headers: req.headers, raw, event: JSON.parse(raw.toString('utf8')) as CaseEventEnvelope });
        res.writeHead(receiver.answers.shift() ?? 202, { 'content-type': 'application/json' }).end('{}');
        for (const wake of receiver.waiters.splice(0)) wake();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/alerts`;
  }

  /** Resolves once `count` requests have arrived in total (fails the test after 5 s). */
  async waitFor(count: number): Promise<Received[]> {
    const deadline = Date.now() + 5_000;
    while (this.received.length < count) {
      if (Date.now() > deadline) assert.fail(`expected ${count} event deliveries, got ${this.received.length}`);
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    return this.received.slice(0, count);
  }

  reset(): void {
    this.received.length = 0;
    this.answers = [];
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function deliveryOf(res: SirResponse): string {
  return (res.json.event as { delivery: string }).delivery;
}

/** The envelope phasegate's API will receive, checked member by member. */
function assertEnvelope(received: Received, expected: { detailType: string; caseId: string; caseArn: string; updatedBy: string }): void {
  const check = verifyWebhookSignature(received.headers[SIGNATURE_HEADER] as string | undefined, received.raw, [SECRET]);
  assert.deepEqual(check, { ok: true }, 'the event carries a valid X-Phasegate-Signature');
  assert.equal(received.headers['content-type'], 'application/json');
  const { id, time, ...rest } = received.event;
  assert.match(id, UUID);
  assert.match(time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.ok(Math.abs(Date.parse(time) - Date.now()) < 10_000, `time ${time} is now`);
  assert.deepEqual(rest, {
    version: '0',
    'detail-type': expected.detailType,
    source: 'aws.security-ir',
    account: ACCOUNT,
    region: 'us-east-1',
    resources: [expected.caseArn],
    detail: { caseId: expected.caseId, updatedBy: expected.updatedBy },
  });
}

describe('the sandbox plays the analyst', () => {
  let receiver: Receiver;
  let ctx: SandboxTestContext;
  let sir: SirClient;
  const patch = (caseId: string, body: unknown) => admin(ctx.sandbox.url, 'PATCH', `/cases/${caseId}`, body);

  before(async () => {
    receiver = await Receiver.start();
    ctx = await startTestSandbox({ events: { url: receiver.url, secret: SECRET } });
    sir = new SirClient({ region: 'us-east-1', endpoint: ctx.sandbox.url, credentials: SANDBOX_DEFAULT_CREDENTIALS });
  });
  after(async () => {
    await ctx.sandbox.close();
    await receiver.close();
  });
  beforeEach(() => {
    ctx.sandbox.reset();
    receiver.reset();
  });

  async function newCase(resolverType: 'Self' | 'AWS' = 'Self'): Promise<{ caseId: string; caseArn: string }> {
    const { caseId } = await sir.createCase({ ...SAMPLE_CASE, resolverType, clientToken: randomUUID() });
    return { caseId, caseArn: ctx.sandbox.getCase(caseId)!.caseArn };
  }

  it('moves the case to any status as an analyst, GetCase shows it, and Case Updated arrives signed', async () => {
    const { caseId, caseArn } = await newCase();
    const res = await patch(caseId, { caseStatus: 'Post-incident Activities' });
    assert.equal(res.status, 200);
    const seen = await sir.getCase(caseId);
    assert.equal(seen.caseStatus, 'Post-incident Activities');
    const [event] = await receiver.waitFor(1);
    assertEnvelope(event!, { detailType: 'Case Updated', caseId, caseArn, updatedBy: ACCOUNT });
    assert.deepEqual(res.json, {
      caseId,
      caseStatus: 'Post-incident Activities',
      resolverType: 'Self',
      event: { id: event!.event.id, detailType: 'Case Updated', delivery: 'delivered' },
    });
  });

  it('changes the resolver type (AWS takes the case over) with the updatedBy it is given', async () => {
    const { caseId, caseArn } = await newCase();
    const res = await patch(caseId, { resolverType: 'AWS', updatedBy: 'AWS Responder' });
    assert.equal(res.status, 200);
    assert.equal(res.json.resolverType, 'AWS');
    assert.equal((await sir.getCase(caseId)).resolverType, 'AWS');
    const [event] = await receiver.waitFor(1);
    assertEnvelope(event!, { detailType: 'Case Updated', caseId, caseArn, updatedBy: 'AWS Responder' });
  });

  it('closes the case: GetCase shows Closed with a closedDate, and the event is Case Closed', async () => {
    const { caseId, caseArn } = await newCase();
    const res = await patch(caseId, { caseStatus: 'Closed', updatedBy: 'arn:aws:iam::123456789012:user/analyst' });
    assert.equal(res.json.caseStatus, 'Closed');
    const seen = await sir.getCase(caseId);
    assert.equal(seen.caseStatus, 'Closed');
    assert.ok(seen.closedDate instanceof Date);
    const [event] = await receiver.waitFor(1);
    assertEnvelope(event!, { detailType: 'Case Closed', caseId, caseArn, updatedBy: 'arn:aws:iam::123456789012:user/analyst' });
  });

  it('a comment added through the SIR API publishes Case Comment Added, once per comment (not per clientToken replay)', async () => {
    const { caseId, caseArn } = await newCase();
    await sir.createCaseComment({ caseId, body: 'Contained by the on-call engineer', clientToken: 'comment-1' });
    await sir.createCaseComment({ caseId, body: 'Contained by the on-call engineer', clientToken: 'comment-1' });
    const [event] = await receiver.waitFor(1);
    // An API call names its signer, so phasegate can tell the events its own calls caused from a person's.
    assertEnvelope(event!, { detailType: 'Case Comment Added', caseId, caseArn, updatedBy: CALLER });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 1, 'the replayed clientToken added no comment and no event');
  });

  it('a status change and a close through the SIR API publish Case Updated and Case Closed, naming the signer', async () => {
    const { caseId, caseArn } = await newCase();
    await sir.updateCaseStatus(caseId, 'Detection and Analysis');
    const [updated] = await receiver.waitFor(1);
    assertEnvelope(updated!, { detailType: 'Case Updated', caseId, caseArn, updatedBy: CALLER });
    await sir.closeCase(caseId);
    const [, closed] = await receiver.waitFor(2);
    assertEnvelope(closed!, { detailType: 'Case Closed', caseId, caseArn, updatedBy: CALLER });
    // A refused change changed nothing, so SIR announces nothing.
    await assert.rejects(sir.updateCaseStatus(caseId, 'Detection and Analysis'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 2);
  });

  it('a change that changes nothing publishes nothing', async () => {
    const { caseId } = await newCase();
    const res = await patch(caseId, { caseStatus: 'Submitted', resolverType: 'Self' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { caseId, caseStatus: 'Submitted', resolverType: 'Self' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.received.length, 0);
  });

  it('the responder route (POST /cases/:id/status) publishes too, as AWS Responder', async () => {
    const { caseId, caseArn } = await newCase('AWS');
    const res = await admin(ctx.sandbox.url, 'POST', `/cases/${caseId}/status`, { caseStatus: 'Acknowledged' });
    assert.equal(res.status, 200);
    const [event] = await receiver.waitFor(1);
    assertEnvelope(event!, { detailType: 'Case Updated', caseId, caseArn, updatedBy: 'AWS Responder' });
  });

  it('retries a receiver that answers 503, and gives up at once on one that refuses (401)', async () => {
    const { caseId } = await newCase();
    receiver.answers = [503];
    const once = await patch(caseId, { caseStatus: 'Detection and Analysis' });
    assert.equal(deliveryOf(once), 'delivered', 'the second try, 200 ms later, is within the admin call');
    assert.equal((await receiver.waitFor(2)).length, 2);

    receiver.reset();
    receiver.answers = [503, 503];
    const retried = await patch(caseId, { caseStatus: 'Post-incident Activities' });
    // The third try comes 1.2 s after the first: the admin call has answered by then.
    assert.equal(deliveryOf(retried), 'pending');
    const three = await receiver.waitFor(3);
    assert.equal(new Set(three.map((r) => r.event.id)).size, 1, 'the same event, tried three times');

    receiver.reset();
    receiver.answers = [401];
    const refused = await patch(caseId, { caseStatus: 'Containment, Eradication and Recovery' });
    assert.equal(deliveryOf(refused), 'failed');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(receiver.received.length, 1, 'a refusal is not retried');

    const deliveries = (await admin(ctx.sandbox.url, 'GET', '/events')).json.events as Array<{ state: string; attempts: number; lastResult: string }>;
    assert.deepEqual(
      deliveries.map((d) => [d.state, d.attempts, d.lastResult]),
      [
        ['delivered', 2, 'HTTP 202'],
        ['delivered', 3, 'HTTP 202'],
        ['failed', 1, 'HTTP 401'],
      ],
    );
  });

  it('never holds the admin answer for long when the receiver is down', async () => {
    const down = await Receiver.start();
    const url = down.url;
    await down.close();
    const dead = await startTestSandbox({ events: { url, secret: SECRET } });
    try {
      const caseId = await dead.http.newCase();
      const started = performance.now();
      const res = await admin(dead.sandbox.url, 'PATCH', `/cases/${caseId}`, { caseStatus: 'Detection and Analysis' });
      const tookMs = performance.now() - started;
      assert.equal(res.status, 200);
      assert.equal(res.json.caseStatus, 'Detection and Analysis');
      assert.ok(tookMs < 1_500, `the admin call took ${Math.round(tookMs)} ms`);
      assert.ok(['pending', 'failed'].includes(deliveryOf(res)));
      // Three quick tries (200 ms and 1 s apart), then it is recorded as failed.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const [delivery] = dead.sandbox.eventDeliveries();
      assert.equal(delivery?.state, 'failed');
      assert.equal(delivery?.attempts, 3);
    } finally {
      await dead.sandbox.close();
    }
  });

  it('refuses a change without a field, an unknown field or value (400) and an unknown case (404)', async () => {
    const { caseId } = await newCase();
    for (const body of [{}, { caseStatus: 'Reopened' }, { resolverType: 'Partner' }, { caseStatus: 'Closed', closureCode: 'Duplicate' }, { updatedBy: 'x' }]) {
      const res = await patch(caseId, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error, 'invalid case change');
    }
    const missing = await patch('5555555555', { caseStatus: 'Closed' });
    assert.equal(missing.status, 404);
    assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    assert.equal(receiver.received.length, 0);
  });
});

describe('the sandbox without an events URL', () => {
  it('still changes cases, and says no event could be sent', async () => {
    const ctx = await startTestSandbox();
    try {
      const caseId = await ctx.http.newCase();
      const res = await admin(ctx.sandbox.url, 'PATCH', `/cases/${caseId}`, { caseStatus: 'Closed' });
      assert.deepEqual(res.json, { caseId, caseStatus: 'Closed', resolverType: 'Self', event: { detailType: 'Case Closed', delivery: 'not-configured' } });
      assert.equal((await ctx.http.getCase(caseId)).json.caseStatus, 'Closed');
      assert.deepEqual((await admin(ctx.sandbox.url, 'GET', '/events')).json.events, []);
    } finally {
      await ctx.sandbox.close();
    }
  });

  it('PHASEGATE_SANDBOX_EVENTS_URL takes the first PHASEGATE_WEBHOOK_SECRET, and refuses to start without one', () => {
    assert.deepEqual(
      sandboxOptionsFromEnv({ PHASEGATE_SANDBOX_EVENTS_URL: 'http://127.0.0.1:8080/v1/alerts', PHASEGATE_WEBHOOK_SECRET: 'new-secret, old-secret' }).events,
      { url: 'http://127.0.0.1:8080/v1/alerts', secret: 'new-secret' },
    );
    assert.throws(() => sandboxOptionsFromEnv({ PHASEGATE_SANDBOX_EVENTS_URL: 'http://127.0.0.1:8080/v1/alerts' }), (err: Error) => {
      assert.match(err.message, /PHASEGATE_WEBHOOK_SECRET/);
      return true;
    });
    assert.equal(sandboxOptionsFromEnv({ PHASEGATE_WEBHOOK_SECRET: 's' }).events, undefined);
  });

  it('startSandbox refuses an events URL that is not http(s) without echoing the secret', async () => {
    await assert.rejects(startTestSandbox({ events: { url: 'ftp://example.com/x', secret: 'do-not-echo' } }), (err: Error) => {
      assert.match(err.message, /http or https/);
      assert.ok(!err.message.includes('do-not-echo'));
      return true;
    });
    await assert.rejects(startTestSandbox({ events: { url: 'http://127.0.0.1:1/x', secret: '' } }), /webhook secret/);
  });
});

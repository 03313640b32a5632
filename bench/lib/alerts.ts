/**
 * Alerts for the benches: distinct generic alerts (each its own fingerprint, so its own case), signed
 * as a sender would sign them, posted over keep-alive loopback HTTP.
 */
import { Agent, request } from 'node:http';
import { signWebhook } from '../../src/server/webhook-signature';

export interface BenchAlert {
  id: string;
  raw: string;
}

let runTag = `${process.pid.toString(36)}${Date.now().toString(36)}`;

/** A fresh tag per run keeps alert ids (and so workflow ids) distinct across runs on one server. */
export function setRunTag(tag: string): void {
  runTag = tag;
}

export function benchAlert(n: number, type = 'Bench:Load/Generic', severity = 5): BenchAlert {
  const id = `bench-${runTag}-${String(n).padStart(6, '0')}`;
  const alert = {
    id,
    type,
    title: `bench alert ${n}`,
    description: 'Synthetic alert posted by a phasegate benchmark.',
    severity,
    accountId: '111122223333',
    region: 'us-east-1',
    resourceId: `arn:aws:s3:::bench-bucket-${n % 100}`,
    observedAt: new Date().toISOString(),
  };
  return { id, raw: JSON.stringify(alert) };
}

export interface PostResult {
  status: number;
  body: { caseWorkflowId?: string; runId?: string; duplicate?: boolean; error?: string };
  /** Wall-clock ms when the request was sent (comparable with the sandbox's arrival times). */
  sentAt: number;
  /** ms from sending to the whole answer. */
  ms: number;
}

export class AlertPoster {
  readonly agent: Agent;
  private readonly url: URL;

  constructor(apiUrl: string, private readonly secret: string, maxSockets = 256) {
    this.url = new URL('/v1/alerts', apiUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** Posts one alert; `signature` overrides the header (null: none) for refusal tests. */
  post(raw: string, signature?: string | null): Promise<PostResult> {
    const header = signature === undefined ? signWebhook(this.secret, raw) : signature;
    return httpJson(this.agent, this.url, 'POST', raw, {
      'content-type': 'application/json',
      ...(header !== null && { 'x-phasegate-signature': header }),
    });
  }

  /** Posts until the server accepts (a sender's retry on 429/5xx and transport errors), bounded. */
  async postUntilAccepted(raw: string, timeoutMs = 120_000): Promise<PostResult & { attempts: number }> {
    const deadline = Date.now() + timeoutMs;
    for (let attempts = 1; ; attempts++) {
      let result: PostResult;
      try {
        result = await this.post(raw);
      } catch (err) {
        result = { status: 0, body: { error: (err as Error).message }, sentAt: Date.now(), ms: 0 };
      }
      if ((result.status !== 0 && result.status !== 429 && result.status < 500) || Date.now() > deadline) return { ...result, attempts };
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * attempts)));
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

export function httpJson(
  agent: Agent,
  url: URL,
  method: string,
  body: string | undefined,
  headers: Record<string, string>,
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const sentAt = Date.now();
    const started = performance.now();
    const req = request(url, { method, agent, headers: { ...headers, ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: PostResult['body'];
        try {
          parsed = text ? (JSON.parse(text) as PostResult['body']) : {};
        } catch {
          parsed = { error: text.slice(0, 200) };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, sentAt, ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('request timed out after 60 s')));
    req.end(body);
  });
}

/** Runs `task` for every item with at most `limit` in flight; results in item order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

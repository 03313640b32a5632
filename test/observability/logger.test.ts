import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, temporalLoggerFor } from '../../src/cli/logger';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('structured logs', () => {
  it('writes JSON lines with the service name and keeps ids', () => {
    const out = capture();
    createLogger({ PHASEGATE_LOG_LEVEL: 'info' }, out.stream).info({ workflowId: 'case-x', caseId: '1234567890', reqId: 'r-1' }, 'case started');
    const [line] = out.lines();
    assert.equal(line?.msg, 'case started');
    assert.equal(line?.service, 'phasegate');
    assert.deepEqual([line?.workflowId, line?.caseId, line?.reqId], ['case-x', '1234567890', 'r-1']);
  });

  it('censors secrets and sensitive case fields wherever they are nested one level down', () => {
    const out = capture();
    createLogger({}, out.stream).info(
      {
        req: { headers: { authorization: 'Bearer pg_secret', 'x-phasegate-signature': 't=1,v1=abc', 'x-phasegate-api-key': 'pgk_alertkey', host: 'x' } },
        credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI', sessionToken: 'FwoG' },
        input: { title: 'Host web-1 compromised', description: 'attacker 203.0.113.7', watchers: [{ email: 'a@b.c' }] },
        decision: { comment: 'call Bob on +1 555', by: 'alice' },
        dev: { webhookSecret: 'whsec_x', demoToken: 'pg_y' },
      },
      'redaction',
    );
    const text = JSON.stringify(out.lines()[0]);
    for (const secret of ['pg_secret', 'v1=abc', 'pgk_alertkey', 'AKIAEXAMPLE', 'wJalrXUtnFEMI', 'FwoG', 'web-1', '203.0.113.7', 'a@b.c', '+1 555', 'whsec_x', 'pg_y']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.match(text, /"by":"alice"/);
    assert.match(text, /"host":"x"/);
  });

  it('routes Temporal Runtime log entries through pino with their metadata', () => {
    const out = capture();
    const temporal = temporalLoggerFor(createLogger({ PHASEGATE_LOG_LEVEL: 'debug' }, out.stream), 'INFO');
    temporal.debug('too chatty');
    temporal.warn('Activity failed', { workflowId: 'case-y', activityType: 'updateCaseStatus', sessionToken: 'leak?' });
    const lines = out.lines();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 40);
    assert.deepEqual([lines[0]?.workflowId, lines[0]?.activityType, lines[0]?.component], ['case-y', 'updateCaseStatus', 'temporal']);
    assert.equal(lines[0]?.sessionToken, '[redacted]');
  });
});

/**
 * The worker's Prometheus endpoint (the Temporal Runtime's) carries Temporal's worker metrics and
 * phasegate's own: SIR calls by operation, outcome and retry, and decision latency.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { decideUpdate, stateQuery } from '../../src/domain/contract/messages';
import { freePort } from '../../src/temporal/dev-server';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import { installQuietRuntime, startWorkerFixture, type WorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

describe('worker metrics on the Runtime Prometheus endpoint', { timeout: 120_000 }, () => {
  let w: WorkerFixture;
  let metricsUrl: string;

  before(async () => {
    const port = await freePort();
    installQuietRuntime(`127.0.0.1:${port}`);
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    w = await startWorkerFixture('metrics');
  });
  after(() => w.close());

  it('counts SIR calls by outcome and retry, and records decision latency', async () => {
    w.fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 1, retryAfterSeconds: 1 });
    const input: CasePlaybookInput = {
      fingerprint: `metrics-${randomUUID()}`,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
      playbook: testPlaybook('metrics', [
        'Detection and Analysis',
        { status: 'Containment, Eradication and Recovery', approval: { approvers: ['alice'], onTimeout: 'reject' } },
      ]),
    };
    const handle = await w.env.client.workflow.start(casePlaybook, testCaseOptions(input, w.taskQueue));
    await waitFor('the approval', async () => ((await handle.query(stateQuery)).pendingApproval ? true : undefined));
    await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }] });
    await handle.result();

    const text = await waitFor('the metrics to be exported', async () => {
      const body = await (await fetch(metricsUrl)).text();
      return /phasegate_decision_latency/.test(body) && /retry="true"/.test(body) ? body : undefined;
    });
    const series = (name: string) => text.split('\n').filter((line) => line.startsWith(name));
    const calls = series('phasegate_sir_calls');
    const has = (...parts: string[]) => calls.some((line) => parts.every((p) => line.includes(p)));
    assert.ok(has('operation="CreateCase"', 'outcome="ok"', 'retry="false"'), calls.join('\n'));
    assert.ok(has('operation="UpdateCaseStatus"', 'outcome="ThrottlingException"', 'retry="false"'), calls.join('\n'));
    assert.ok(has('operation="UpdateCaseStatus"', 'outcome="ok"', 'retry="true"'), calls.join('\n'));
    assert.ok(has('operation="CreateCaseComment"', 'outcome="ok"'), calls.join('\n'));
    const latency = series('phasegate_decision_latency');
    assert.ok(latency.some((line) => /_count\{.*decided_by="human".*\} 1$/.test(line) || /_count\{.*\} 1$/.test(line)), latency.join('\n'));
    assert.ok(latency.some((line) => line.includes('playbook="metrics"') && line.includes('decision="approve"')), latency.join('\n'));
    // Temporal's own worker metrics come out of the same endpoint.
    assert.match(text, /^temporal_\w+/m);
  });
});

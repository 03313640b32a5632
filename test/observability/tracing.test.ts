/**
 * With tracing configured, one trace runs from the client's StartWorkflow through the workflow to the
 * SIR activities (real dev server, real worker, in-memory span exporter).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { isTracingConfigured, setUpTracing, type Tracing } from '../../src/temporal/tracing';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, startSandboxFixture, type SandboxFixture } from '../helpers/sir-sandbox';
import { TEST_PLAYBOOKS, connectToTestServer, uniqueTaskQueue, testCaseOptions } from '../helpers/temporal';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

describe('tracing', { timeout: 120_000 }, () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('tracing');

  before(async () => {
    tracing = setUpTracing({}, exporter)!;
    env = await connectToTestServer();
    fx = await startSandboxFixture();
    worker = await createPhasegateWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', sir: fx.sir, taskQueue, tracing, playbooks: TEST_PLAYBOOKS });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await tracing.shutdown();
    await fx.sandbox.close();
    await env.teardown();
  });

  it('is off unless an OTLP endpoint is configured', () => {
    assert.equal(isTracingConfigured({}), false);
    assert.equal(setUpTracing({}), undefined);
    assert.equal(isTracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
    assert.equal(isTracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }), false);
  });

  it('traces a case from StartWorkflow to its SIR activities in one trace', async () => {
    const client = new Client({ connection: env.connection, namespace: env.namespace, plugins: [tracing.plugin] });
    const input: CasePlaybookInput = {
      fingerprint: `tracing-${randomUUID()}`,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
      playbook: testPlaybook('traced', ['Detection and Analysis']),
    };
    await client.workflow.execute(casePlaybook, testCaseOptions(input, taskQueue));
    await new Promise((r) => setTimeout(r, 500));

    const spans = exporter.getFinishedSpans();
    const names = spans.map((s) => s.name);
    // The status move is moveCase since read-before-write (it reads the case, then calls UpdateCaseStatus).
    for (const expected of ['StartWorkflow:casePlaybook', 'RunWorkflow:casePlaybook', 'StartActivity:createCase', 'RunActivity:createCase', 'RunActivity:moveCase']) {
      assert.ok(names.includes(expected), `no ${expected} span in ${JSON.stringify(names)}`);
    }
    const start = spans.find((s) => s.name === 'StartWorkflow:casePlaybook')!;
    const activity = spans.find((s) => s.name === 'RunActivity:moveCase')!;
    assert.equal(activity.spanContext().traceId, start.spanContext().traceId, 'the activity belongs to the trace the client started');
    assert.equal(spans.find((s) => s.name === 'RunWorkflow:casePlaybook')!.resource.attributes['service.name'], 'phasegate');
  });
});

/**
 * OpenTelemetry tracing of case workflows, off unless configured with the standard OTel variables
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_SERVICE_NAME…). One trace
 * runs from the alert webhook's StartWorkflow through the workflow to every SIR activity.
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter, type SpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export interface Tracing {
  /** Give it to every Client and Worker phasegate creates in this process. */
  plugin: OpenTelemetryPlugin;
  shutdown(): Promise<void>;
}

export function isTracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true';
}

/**
 * Tracing for this process, or undefined when it is not configured. `exporter` replaces the OTLP
 * exporter (tests use an in-memory one); spans are then exported one by one instead of in batches.
 */
export function setUpTracing(env: NodeJS.ProcessEnv = process.env, exporter?: SpanExporter): Tracing | undefined {
  if (!exporter && !isTracingConfigured(env)) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? 'phasegate' });
  const spanProcessor: SpanProcessor = exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // The interceptors use the global tracer and the active context, so the provider is registered
  // globally with a context manager that follows async calls (without one no span has a parent).
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor }),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * phasegate_sir_calls{operation, outcome, retry}: every SIR call an activity makes, by its outcome (ok
 * or the SIR exception name), and whether it was made on a retried attempt. Recorded through the
 * activity's metric meter, so it leaves through the worker Runtime's Prometheus endpoint with
 * Temporal's own worker metrics.
 */
import { Context } from '@temporalio/activity';
import { SirError, type SirOperation } from '../src/sir';

export interface RetryMark {
  /** The queued call that took over from a failed local try (cases since `local-sir-calls`): a retry. */
  afterLocalTry?: boolean;
}

export async function measured<T>(operation: SirOperation, call: () => Promise<T>, mark: RetryMark = {}): Promise<T> {
  let outcome = 'ok';
  try {
    return await call();
  } catch (err) {
    outcome = err instanceof SirError ? err.type : 'ClientError';
    throw err;
  } finally {
    const context = Context.current();
    context.metricMeter
      .createCounter('phasegate_sir_calls', 'calls', 'SIR API calls by operation and outcome')
      .add(1, { operation, outcome, retry: context.info.attempt > 1 || mark.afterLocalTry === true });
  }
}

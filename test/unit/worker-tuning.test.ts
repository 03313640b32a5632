import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerOptionsFromTuning, workerTuningFromEnv } from '../../src/temporal/worker-tuning';

describe('worker tuning from the environment', () => {
  it('defaults to a shutdown grace longer than one SIR call, no rate limit and a bounded workflow cache', () => {
    assert.deepEqual(workerOptionsFromTuning(workerTuningFromEnv({})), { shutdownGraceTime: '35s', maxCachedWorkflows: 1000 });
  });

  it('passes the task-queue-wide SIR rate limit and concurrency through', () => {
    const options = workerOptionsFromTuning(
      workerTuningFromEnv({
        PHASEGATE_SIR_MAX_RPS: '4.5',
        PHASEGATE_MAX_CONCURRENT_ACTIVITIES: '20',
        PHASEGATE_SHUTDOWN_GRACE: '2m',
        PHASEGATE_MAX_CACHED_WORKFLOWS: '300',
      }),
    );
    assert.deepEqual(options, {
      maxTaskQueueActivitiesPerSecond: 4.5,
      maxConcurrentActivityTaskExecutions: 20,
      shutdownGraceTime: '2m',
      maxCachedWorkflows: 300,
    });
  });

  it('takes PHASEGATE_MAX_CACHED_WORKFLOWS=0 as no cache', () => {
    assert.equal(workerTuningFromEnv({ PHASEGATE_MAX_CACHED_WORKFLOWS: '0' }).maxCachedWorkflows, 0);
  });

  for (const bad of ['1', '2.5', '-3', 'many']) {
    it(`refuses PHASEGATE_MAX_CACHED_WORKFLOWS=${bad} with the variable's name`, () => {
      assert.throws(() => workerTuningFromEnv({ PHASEGATE_MAX_CACHED_WORKFLOWS: bad }), /PHASEGATE_MAX_CACHED_WORKFLOWS must be/);
    });
  }

  for (const bad of ['0', '-1', 'fast', 'NaN']) {
    it(`refuses PHASEGATE_SIR_MAX_RPS=${bad} with the variable's name`, () => {
      assert.throws(() => workerTuningFromEnv({ PHASEGATE_SIR_MAX_RPS: bad }), /PHASEGATE_SIR_MAX_RPS must be a positive number/);
    });
  }
});

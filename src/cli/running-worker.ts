import type { Worker } from '@temporalio/worker';
import type { Part } from './lifetime';

/**
 * Runs a worker as a part of a command's lifetime. It starts polling at once: a worker that was
 * created but never run keeps its hold on the Temporal connection (which then refuses to close), and
 * only shutting down a running worker lets go of it.
 */
export function runWorker(worker: Worker): Part {
  const running = worker.run();
  let settled = false;
  void running.then(() => (settled = true), () => (settled = true));
  return {
    ended: running,
    stop: async () => {
      // A worker that already failed was reported as the reason the command ends; only a shutdown
      // that fails is news here.
      if (settled) return;
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

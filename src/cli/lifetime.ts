/**
 * How a long-running command (dev, worker, server, sandbox) starts, runs and ends.
 *
 * The command starts its parts one after the other and registers each with `started()`. Then it runs
 * until SIGINT or SIGTERM (treated alike: Ctrl-C in a terminal; `docker stop`, systemd or Kubernetes
 * elsewhere) or until a part ends on its own. Whatever ends it, the parts stop in reverse order of
 * starting, so nothing is closed while something started later still uses it (a worker holds its
 * Temporal connection; the API uses the worker's dev server). The outcome:
 * - a start that fails, or a part that dies: one line with the reason, the parts stop, exit 1 (2 for
 *   a usage error);
 * - a signal, at any time, even mid-start: the parts stop, exit 0 (1 if one of them failed to stop);
 * - a second signal while stopping: whatever has a `kill` is killed (child processes), exit 130/143.
 * Signals are ours alone: the Temporal Runtime is installed without shutdown signals of its own.
 */
import { exitCodeFor, failureLine } from './failure';

export interface Part {
  /** Stops the part; called once, in reverse order of starting. */
  stop: () => Promise<void> | void;
  /** Settles when the part ends by itself (a worker's run()); ending before a stop is a failure. */
  ended?: Promise<unknown>;
  /** Ends it at once, for a second signal: SIGKILL for a child process. */
  kill?: () => void;
}

export interface Lifetime {
  /** Registers a part that has just started. One registered after stopping began is stopped at once. */
  started(name: string, part: Part): void;
  /** Aborted when stopping begins, so a slow start step (a server coming up) can give up early. */
  readonly signal: AbortSignal;
}

export interface LifetimeOptions {
  /** Where the failure line goes; stderr by default. */
  report?: (line: string) => void;
  /**
   * After every part has stopped, whatever still holds the event loop (a library's timer, a socket
   * a part forgot) must not keep the process alive: it exits this long after, at the latest.
   */
  exitBackstopMs?: number;
  /** A start step that ignores the abort signal gets this long to return before the command ends anyway. */
  startGraceMs?: number;
}

type Outcome = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'failure'; error: unknown };

const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export async function runUntilStopped(start: (lifetime: Lifetime) => Promise<void>, options: LifetimeOptions = {}): Promise<void> {
  const report = options.report ?? ((line: string) => console.error(line));
  const controller = new AbortController();
  const parts: Array<{ name: string; part: Part }> = [];
  const lateStops: Array<Promise<void>> = [];
  let stopping = false;
  let stopFailed = false;

  let finish!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((resolveOutcome) => (finish = resolveOutcome));

  let signalsSeen = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalsSeen++;
    if (signalsSeen === 1) return finish({ kind: 'signal', signal });
    report(`phasegate: ${signal} again while stopping: killing what is left`);
    for (const { part } of parts) part.kill?.();
    process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);

  const stopOne = async ({ name, part }: { name: string; part: Part }): Promise<void> => {
    try {
      await part.stop();
    } catch (err) {
      stopFailed = true;
      report(`phasegate: while stopping ${name}: ${failureLine(err).replace(/^phasegate: /, '')}`);
    }
  };

  const lifetime: Lifetime = {
    signal: controller.signal,
    started(name, part) {
      const entry = { name, part };
      if (stopping) {
        // Its end is expected now, whatever it is.
        part.ended?.catch(() => undefined);
        lateStops.push(stopOne(entry));
        return;
      }
      parts.push(entry);
      part.ended?.then(
        () => finish({ kind: 'failure', error: new Error(`${name} stopped unexpectedly`) }),
        (error: unknown) => finish({ kind: 'failure', error }),
      );
    },
  };

  const starting = start(lifetime).catch((error: unknown) => finish({ kind: 'failure', error }));
  const ended = await outcome;
  stopping = true;
  controller.abort();
  // Set now: should the event loop empty while a start step lingers, the process leaves with it.
  process.exitCode = ended.kind === 'failure' ? exitCodeFor(ended.error) : 0;
  if (ended.kind === 'failure') report(failureLine(ended.error));
  for (const entry of parts.reverse()) await stopOne(entry);
  // A start cut short by a signal may still be inside a step that cannot be aborted; what it starts
  // after this point is stopped as it registers.
  await Promise.race([starting, delay(options.startGraceMs ?? 30_000)]);
  await Promise.all(lateStops);

  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  if (stopFailed && process.exitCode === 0) process.exitCode = 1;
  setTimeout(() => process.exit(), options.exitBackstopMs ?? 5_000).unref();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}

/**
 * Which test files run side by side. Test files share no state that conflicts: each takes task queues
 * (or a namespace) of its own on the shared dev server, free loopback ports, temp folders for its
 * state, and caches filled by rename. So they run several at once, which is most of the suite's
 * speed: their time is spent waiting on Temporal timers, servers and child processes.
 *
 * A few files keep a machine busy on their own; two of them at once would starve each other and
 * everything beside them. They run one after another, in a second lane beside the first. A file whose
 * own test cannot stand the load of the others runs alone, after both lanes. Say why for each.
 */
import { access } from 'node:fs/promises';
import { join, relative } from 'node:path';

export const ONE_AT_A_TIME: Readonly<Record<string, string>> = {
  'test/deploy/compose-topology.test.ts':
    'PostgreSQL, a self-hosted Temporal server, its jobs, a worker and the API, each a process (and on a cold cache it builds the server from source first)',
};

export const ALONE: Readonly<Record<string, string>> = {
  'test/workflows/parked-storm.test.ts':
    '20,000 signals into one case: starved of CPU beside other files, one activation of the case (hundreds of signals) ran past the SDK\'s 5 s isolateExecutionTimeout and the worker process aborted (async hook stack corrupted), as a loaded production worker would',
};

export interface Lanes {
  together: string[];
  oneAtATime: string[];
  alone: string[];
}

/** Splits absolute test file paths; an entry naming no file fails, so the list cannot rot. */
export async function splitLanes(root: string, files: string[]): Promise<Lanes> {
  await Promise.all(
    [...Object.keys(ONE_AT_A_TIME), ...Object.keys(ALONE)].map((file) =>
      access(join(root, file)).catch(() => {
        throw new Error(`scripts/test-lanes.ts names ${file}, which does not exist`);
      }),
    ),
  );
  const oneAtATime = files.filter((f) => relative(root, f) in ONE_AT_A_TIME);
  const alone = files.filter((f) => relative(root, f) in ALONE);
  return { together: files.filter((f) => !oneAtATime.includes(f) && !alone.includes(f)), oneAtATime, alone };
}

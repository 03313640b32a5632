/**
 * A process's descendants, read from /proc (Linux), with their start times so that a reused pid is
 * never mistaken for the process a test saw: what a test checks to prove a command left no child
 * behind, and kills when it did.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  start: string;
}

function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Direct and indirect children of `pid`. */
export function descendants(pid: number): ProcessId[] {
  const parentOf = new Map<number, { ppid: number; start: string }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const entry of entries) {
    const fields = statFields(entry);
    if (fields) parentOf.set(Number(entry), { ppid: Number(fields[1]), start: fields[19] ?? '' });
  }
  const found: ProcessId[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, info] of parentOf) {
      if (info.ppid === parent) {
        found.push({ pid: child, start: info.start });
        queue.push(child);
      }
    }
  }
  return found;
}

/** Still the same process (a zombie counts as gone: it holds no port and runs no code). */
export function stillRunning(proc: ProcessId): boolean {
  const fields = statFields(proc.pid);
  return fields !== undefined && fields[19] === proc.start && fields[0] !== 'Z';
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

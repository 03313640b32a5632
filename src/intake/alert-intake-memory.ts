/**
 * What one intake process (an API server, `phasegate intake`) learnt from Temporal while taking
 * alerts, so that a storm costs one cheap call per alert instead of a round of them (issue 18):
 *
 * - the open window of each group (alert/group-window.ts) until it ends: a later alert of the group
 *   goes straight to the window's case;
 * - the cases it saw running: an alert for one is signalled at once, without a start that fails and
 *   a describe first;
 * - the hours a playbook's limiter said were full, at which limit: further alerts of that hour that
 *   would open a case go to the storm case without asking the limiter again (its update runs through
 *   one workflow, one at a time, and would serialise the storm);
 * - which storm case of the hour is the current one.
 *
 * None of it is needed for correctness: Temporal decides (ids, conflict policies, the limiter), and a
 * remembered fact that is no longer true shows at the next call (a signal to a finished case fails,
 * and the intake looks again). Entries are bounded (the oldest go first) and expire with what they
 * describe. A process that starts knows nothing and asks, once.
 */
import type { GroupWindow } from '../temporal/alert-group-window-client';
import { HOUR_MS } from '../domain/alert/group';

export const INTAKE_MEMORY_ENTRIES = 10_000;

/** A map whose entries expire and whose size is bounded (insertion order: the oldest go first). */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; untilMs: number }>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.untilMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, untilMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, untilMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

interface WindowEntry {
  window: Promise<GroupWindow>;
  /** Set once the window is known; until then, concurrent alerts of the group wait for the same one. */
  runId?: string;
}

export class AlertIntakeMemory {
  private readonly windows: ExpiringMap<WindowEntry>;
  private readonly runningCases: ExpiringMap<string>;
  private readonly fullHours: ExpiringMap<number>;
  private readonly stormGenerations: ExpiringMap<number>;

  constructor(
    maxEntries = INTAKE_MEMORY_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {
    this.windows = new ExpiringMap(maxEntries);
    this.runningCases = new ExpiringMap(maxEntries);
    this.fullHours = new ExpiringMap(maxEntries);
    this.stormGenerations = new ExpiringMap(maxEntries);
  }

  /** The group's open window: remembered, or from `open` (one call at a time per group in this process). */
  groupWindow(group: string, open: () => Promise<GroupWindow>): Promise<GroupWindow> {
    const known = this.windows.get(group, this.now());
    if (known) return known.window;
    const entry: WindowEntry = { window: open() };
    this.windows.set(group, entry, Number.POSITIVE_INFINITY);
    entry.window.then(
      (window) => {
        if (this.windows.get(group, this.now()) !== entry) return;
        entry.runId = window.runId;
        this.windows.set(group, entry, window.endsAt.getTime());
      },
      () => {
        if (this.windows.get(group, this.now()) === entry) this.windows.delete(group);
      },
    );
    return entry.window;
  }

  /** Forgets this run of the group's window (it was closed); a newer run, or one being opened, stays. */
  forgetGroupWindow(window: Pick<GroupWindow, 'group' | 'runId'>): void {
    if (this.windows.get(window.group, this.now())?.runId === window.runId) this.windows.delete(window.group);
  }

  /** The run id this process knows for a case it saw running. */
  runningCase(workflowId: string): string | undefined {
    return this.runningCases.get(workflowId, this.now());
  }

  caseRunning(workflowId: string, runId: string): void {
    this.runningCases.set(workflowId, runId, Number.POSITIVE_INFINITY);
  }

  caseNotRunning(workflowId: string): void {
    this.runningCases.delete(workflowId);
  }

  /** Whether the playbook's limiter refused a case in this hour at a limit at least this one. */
  hourFull(playbook: string, hour: number, limit: number): boolean {
    const fullAt = this.fullHours.get(hourKey(playbook, hour), this.now());
    // A limit raised since (the playbook file changed) may have free slots: ask again.
    return fullAt !== undefined && limit <= fullAt;
  }

  rememberFullHour(playbook: string, hour: number, limit: number): void {
    this.fullHours.set(hourKey(playbook, hour), limit, (hour + 1) * HOUR_MS);
  }

  /** The storm case of the hour this process last used (1: the first). */
  stormGeneration(playbook: string, hour: number): number {
    return this.stormGenerations.get(hourKey(playbook, hour), this.now()) ?? 1;
  }

  rememberStormGeneration(playbook: string, hour: number, generation: number): void {
    this.stormGenerations.set(hourKey(playbook, hour), generation, (hour + 1) * HOUR_MS);
  }
}

function hourKey(playbook: string, hour: number): string {
  return `${playbook}\u0000${hour}`;
}

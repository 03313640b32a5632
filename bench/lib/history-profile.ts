/**
 * Where a workflow's work goes, read from its history: events, workflow tasks, queued activities,
 * local activities, timers, search-attribute upserts, patch markers and the visibility writes they
 * cause (the start, each upsert, the close). Averaged over a sample of workflows, so a bench can say
 * what one case costs Temporal besides how long it took.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { mapLimit } from './alerts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface HistoryProfile {
  workflows: number;
  /** Means per workflow, one decimal. */
  events: number;
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
  timers: number;
  upserts: number;
  patchMarkers: number;
  visibilityWrites: number;
}

/**
 * Profiles the histories of `workflowIds` (a sample of at most `sample`), each cut where `until`
 * first matches (e.g. the timer a parked gate starts), or whole.
 */
export async function profileHistories(
  client: Client,
  workflowIds: readonly string[],
  options: { sample?: number; until?: (e: HistoryEvent) => boolean } = {},
): Promise<HistoryProfile> {
  const sample = pick(workflowIds, options.sample ?? 50);
  const counts = await mapLimit(sample, 10, async (workflowId) => {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const end = options.until ? events.findIndex(options.until) : -1;
    return count(end >= 0 ? events.slice(0, end + 1) : events);
  });
  const mean = (key: keyof ReturnType<typeof count>): number => Math.round((counts.reduce((a, c) => a + c[key], 0) / Math.max(counts.length, 1)) * 10) / 10;
  return {
    workflows: counts.length,
    events: mean('events'),
    workflowTasks: mean('workflowTasks'),
    activityTasks: mean('activityTasks'),
    localActivities: mean('localActivities'),
    timers: mean('timers'),
    upserts: mean('upserts'),
    patchMarkers: mean('patchMarkers'),
    visibilityWrites: mean('visibilityWrites'),
  };
}

function count(events: HistoryEvent[]) {
  const has = (pick: (e: HistoryEvent) => unknown): number => events.filter((e) => pick(e) != null).length;
  const upserts = has((e) => e.upsertWorkflowSearchAttributesEventAttributes);
  const closed = has(
    (e) =>
      e.workflowExecutionCompletedEventAttributes ??
      e.workflowExecutionFailedEventAttributes ??
      e.workflowExecutionTerminatedEventAttributes ??
      e.workflowExecutionCanceledEventAttributes ??
      e.workflowExecutionContinuedAsNewEventAttributes ??
      e.workflowExecutionTimedOutEventAttributes,
  );
  return {
    events: events.length,
    workflowTasks: has((e) => e.workflowTaskCompletedEventAttributes),
    activityTasks: has((e) => e.activityTaskScheduledEventAttributes),
    localActivities: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
    timers: has((e) => e.timerStartedEventAttributes),
    upserts,
    patchMarkers: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length,
    // Temporal writes a workflow's visibility record when it starts, on each upsert, and when it closes.
    visibilityWrites: has((e) => e.workflowExecutionStartedEventAttributes) + upserts + closed,
  };
}

function pick<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

export function historyProfileLine(profile: HistoryProfile, what: string): string {
  return (
    `${what} (mean of ${profile.workflows} histories): ${profile.events} events, ${profile.workflowTasks} workflow tasks, ` +
    `${profile.activityTasks} queued activities, ${profile.localActivities} local activities, ${profile.timers} timers, ` +
    `${profile.upserts} search-attribute upserts (${profile.patchMarkers} from patches), ${profile.visibilityWrites} visibility writes.`
  );
}

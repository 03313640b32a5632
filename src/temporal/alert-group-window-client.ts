/**
 * Opens, finds and closes alert group windows (src/domain/alert/group-window.ts) for the intake.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { groupCaseFingerprint } from '../domain/alert/group';
import { type AlertGroupWindowInput, GROUP_WINDOW_GRACE_MS } from '../domain/alert/group-window';
import { formatDuration } from '../domain/playbook/duration';
import { alertGroupWindow } from '../../workflows';

/** A group's open window, as Temporal has it. */
export interface GroupWindow {
  group: string;
  runId: string;
  openedAt: Date;
  endsAt: Date;
  /** The fingerprint of the window's case (case workflow id `case-<caseFingerprint>`). */
  caseFingerprint: string;
}

/** Rounds of open-or-find before giving up: each one either finds an open window or closed one that was over. */
const OPEN_ATTEMPTS = 4;

/**
 * The group's open window: the running one, or one opened now. A run found past its end (no worker
 * has run its task yet) is closed here, so a window never lasts longer than `windowMs` for the intake.
 */
export async function openGroupWindow(client: Client, taskQueue: string, input: AlertGroupWindowInput, now: () => number = Date.now): Promise<GroupWindow> {
  for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
    const handle = await client.workflow.start(alertGroupWindow, {
      taskQueue,
      workflowId: input.group,
      args: [input],
      startDelay: input.windowMs,
      workflowExecutionTimeout: input.windowMs + GROUP_WINDOW_GRACE_MS,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `alert group window · playbook ${input.playbook} · by ${input.by.join(', ')} · ${formatDuration(input.windowMs)}: alerts of the group join case-${input.group}-<this run's start, UTC>`,
    });
    const runId = handle.firstExecutionRunId;
    let description;
    try {
      description = await client.workflow.getHandle(input.group, runId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue; // closed between start and describe
      throw err;
    }
    const openedAt = description.startTime;
    const endsAt = description.executionTime ?? new Date(openedAt.getTime() + input.windowMs);
    const window: GroupWindow = { group: input.group, runId, openedAt, endsAt, caseFingerprint: groupCaseFingerprint(input.group, openedAt) };
    if (description.status.name === 'RUNNING' && endsAt.getTime() > now()) return window;
    await closeGroupWindow(client, window, 'the window is over');
  }
  throw new Error(`could not open a window for ${input.group} in ${OPEN_ATTEMPTS} attempts`);
}

/** Ends this run of the window (a run opened meanwhile by another intake is another run, and stays). */
export async function closeGroupWindow(client: Client, window: Pick<GroupWindow, 'group' | 'runId'>, reason: string): Promise<void> {
  try {
    await client.workflow.getHandle(window.group, window.runId).terminate(reason);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/**
 * An alert group's window (issue 18) is a Temporal workflow, `alertGroupWindow`, with the group as its
 * workflow id (alert/group.ts: `group-<playbook>-<32 hex>`). Temporal keeps the window, not the
 * intake's memory nor the sender's clock:
 *
 * - It opens when an alert of the group finds no window running: the intake starts the workflow with
 *   `workflowIdConflictPolicy: USE_EXISTING`, so every server and intake that races to open it gets
 *   the same run, and `ALLOW_DUPLICATE`, so the group can open a window again once one has ended.
 * - It lasts `window`: the workflow starts with a start delay of that length, so during the window it
 *   is one history event and no worker task; when the delay is over, its only task completes it. The
 *   times that count are Temporal's: the run's start time (the window opened) and its execution time
 *   (start + delay: the window ends), both from DescribeWorkflowExecution.
 * - It closes early when its case has finished: the intake that finds the case closed terminates the
 *   window's run (by run id, so a window another intake opened meanwhile is left alone).
 *
 * The group's case is named by the window's start (groupCaseFingerprint), so every intake that sees
 * the same run names the same case, and a later window names another.
 */
import { HOUR_MS } from './group';

export const ALERT_GROUP_WINDOW_TYPE = 'alertGroupWindow';

/**
 * A window's run also carries an execution timeout of its length plus this: should no worker run its
 * one task when the delay is over, Temporal still ends it. Intakes treat it as over from the end of its
 * window either way.
 */
export const GROUP_WINDOW_GRACE_MS = HOUR_MS;

export interface AlertGroupWindowInput {
  playbook: string;
  /** groupId: also the workflow id. */
  group: string;
  /** The grouped fields, for operators reading the Web UI. */
  by: string[];
  windowMs: number;
}

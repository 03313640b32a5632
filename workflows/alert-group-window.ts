/**
 * alertGroupWindow: an alert group's window (src/domain/alert/group-window.ts). The window is the
 * run's start delay: by the time this code runs, the window is over, and there is nothing left to do.
 * Deterministic: `@temporalio/workflow` and pure `src/domain` only.
 */
import type { AlertGroupWindowInput } from '../src/domain/alert/group-window';

export async function alertGroupWindow(input: AlertGroupWindowInput): Promise<{ group: string }> {
  return { group: input.group };
}

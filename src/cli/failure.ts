/**
 * How the `phasegate` command reports a failure: one line on stderr (the first line of the message;
 * longer messages keep their details below it for callers that log them) and the exit code.
 */
import { CommanderError } from 'commander';
import { UsageError } from './usage-error';

export function failureLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return `phasegate: ${text.split('\n')[0] ?? text}`;
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  return err instanceof UsageError ? 2 : 1;
}

/**
 * A node:test reporter for scripts/test.ts, one JSON line per event it needs: each test file with how
 * long its process ran (import, hooks and tests, as the runner timed it), and the run's counts, as
 * the runner counted them. The runner announces a finished file as a top-level test named by the
 * path it was given, and closes with a summary that names no file.
 */
import { resolve } from 'node:path';
import type { TestEvent } from 'node:test/reporters';

export interface FileTime {
  kind: 'file';
  file: string;
  ms: number;
  passed: boolean;
}

export interface RunCounts {
  kind: 'run';
  passed: number;
  failed: number;
  cancelled: number;
  skipped: number;
  todo: number;
}

export type SummaryLine = FileTime | RunCounts;

export default async function* testSummary(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    let line: SummaryLine | undefined;
    if (event.type === 'test:complete') {
      const { data } = event;
      if (data.nesting === 0 && data.file && resolve(data.name) === data.file) {
        line = { kind: 'file', file: data.file, ms: Math.round(data.details.duration_ms), passed: data.details.passed };
      }
    } else if (event.type === 'test:summary' && event.data.file === undefined) {
      // The runner counts failures too; @types/node leaves that field out.
      const { passed, failed, cancelled, skipped, todo } = event.data.counts as typeof event.data.counts & { failed: number };
      line = { kind: 'run', passed, failed, cancelled, skipped, todo };
    }
    if (line) yield `${JSON.stringify(line)}\n`;
  }
}

/**
 * Pre-bundles the workflow code for production workers (`npm run bundle:workflows [out]`), as
 * Temporal's production sample does: workers started with PHASEGATE_WORKFLOW_BUNDLE=<out> load this
 * file instead of running webpack at start-up. The Dockerfile runs it after `npm run build`.
 *
 *   npm run bundle:workflows                  writes dist/workflow-bundle.js
 *   npm run bundle:workflows -- other.js      writes other.js (relative to the current directory)
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeWorkflowBundle } from '../src/temporal/workflow-bundle';

const DEFAULT_BUNDLE_PATH = resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

async function main(argv: string[]): Promise<void> {
  const args = argv.filter((a) => a !== '--');
  if (args.length > 1 || args.some((a) => a.startsWith('-'))) {
    throw new Error('usage: bundle-workflows [out-file]  (default dist/workflow-bundle.js)');
  }
  const out = args[0] ? resolve(args[0]) : DEFAULT_BUNDLE_PATH;
  const started = Date.now();
  await writeWorkflowBundle(out);
  const { size } = await stat(out);
  console.log(`workflows bundled to ${out} (${(size / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`bundle-workflows: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

/**
 * Where workers get their workflow code. Development bundles `workflows/` at start-up (a few seconds of
 * webpack); production and the test suite bundle once ahead of time and point PHASEGATE_WORKFLOW_BUNDLE
 * at the result, as Temporal's production sample does.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../../workflows');

export function workflowSource(env: NodeJS.ProcessEnv = process.env): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> {
  const codePath = env.PHASEGATE_WORKFLOW_BUNDLE;
  return codePath ? { workflowBundle: { codePath } } : { workflowsPath: WORKFLOWS_PATH };
}

export async function writeWorkflowBundle(codePath: string, workflowsPath: string = WORKFLOWS_PATH): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  await mkdir(dirname(codePath), { recursive: true });
  await writeFile(codePath, code);
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/**
 * Loads the playbook directory (`PHASEGATE_PLAYBOOKS`, default ./playbooks): every `*.yaml` / `*.yml`
 * file in name order, each checked on its own and then as a set. Problems are collected rather than
 * thrown at the first one, so `phasegate playbooks validate` and a failing start-up both show all of them.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ParsedPlaybook, PlaybookError, parsePlaybook, validatePlaybookSet } from '../domain/playbook/schema';

export const DEFAULT_PLAYBOOK_DIR = './playbooks';

export interface PlaybookDirectory {
  playbooks: ParsedPlaybook[];
  errors: PlaybookError[];
}

export function defaultPlaybookDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.PHASEGATE_PLAYBOOKS?.trim();
  return configured ? configured : DEFAULT_PLAYBOOK_DIR;
}

// Dot-files are skipped: editors leave lock and swap files (`.#x.yaml`, `.x.yaml.swp`) next to the real one.
const isPlaybookFileName = (name: string): boolean => !name.startsWith('.') && /\.ya?ml$/i.test(name);

export async function loadPlaybookDirectory(dir: string): Promise<PlaybookDirectory> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isPlaybookFileName).sort();
  } catch (err) {
    return { playbooks: [], errors: [directoryError(dir, 'no-directory', `cannot read the playbook directory: ${reason(err)}; set PHASEGATE_PLAYBOOKS or create it`)] };
  }

  const playbooks: ParsedPlaybook[] = [];
  const errors: PlaybookError[] = [];
  let fileCount = 0;
  for (const name of names) {
    const file = join(dir, name);
    const text = await readPlaybookFile(file);
    if (text === undefined) continue; // a directory or socket that happens to be named *.yaml
    fileCount++;
    if (typeof text !== 'string') {
      errors.push(text);
      continue;
    }
    const result = parsePlaybook(text, file);
    if ('playbook' in result) playbooks.push({ file, playbook: result.playbook });
    else errors.push(...result.errors);
  }

  if (fileCount === 0) {
    errors.push(directoryError(dir, 'no-playbooks', 'the directory has no playbook (*.yaml or *.yml) file; phasegate needs at least one to handle alerts'));
  }
  errors.push(...validatePlaybookSet(playbooks));
  return { playbooks, errors };
}

/** Thrown by loadPlaybooksOrThrow; `errors` keeps the individual problems for callers that log them. */
export class PlaybookLoadError extends Error {
  override name = 'PlaybookLoadError';

  constructor(
    readonly dir: string,
    readonly errors: readonly PlaybookError[],
  ) {
    // The first line stands alone (the CLI prints only that); the rest lists every problem.
    super(
      [
        `${errors.length} playbook problem${errors.length === 1 ? '' : 's'} in ${dir}: ${errors[0]?.toString() ?? ''}` +
          (errors.length > 1 ? ` (and ${errors.length - 1} more; run "phasegate playbooks validate ${dir}")` : ''),
        ...errors.map((e) => `  ${e.toString()}`),
      ].join('\n'),
    );
  }
}

/** For server and worker start-up: a process must not run with a playbook set it cannot trust. */
export async function loadPlaybooksOrThrow(dir: string = defaultPlaybookDir()): Promise<ParsedPlaybook[]> {
  const { playbooks, errors } = await loadPlaybookDirectory(dir);
  if (errors.length > 0) throw new PlaybookLoadError(dir, errors);
  return playbooks;
}

/** The file's text, a PlaybookError when it cannot be read, or undefined when it is not a regular file. */
async function readPlaybookFile(file: string): Promise<string | PlaybookError | undefined> {
  try {
    // stat (not the dirent) so that a symlink to a playbook counts, as in a Kubernetes ConfigMap mount.
    if (!(await stat(file)).isFile()) return undefined;
    return await readFile(file, 'utf8');
  } catch (err) {
    return new PlaybookError({ file, path: '', rule: 'unreadable-file', message: `cannot read the file: ${reason(err)}` });
  }
}

function directoryError(dir: string, rule: string, message: string): PlaybookError {
  return new PlaybookError({ file: dir, path: '', rule, message });
}

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'it does not exist',
  ENOTDIR: 'it is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
};

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && ERRNO_REASONS[code] !== undefined) return `${ERRNO_REASONS[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

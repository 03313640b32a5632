import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHIPPED_DIR = join(__dirname, '..', '..', 'playbooks');

/** A minimal valid playbook file named `name`. */
export function playbookYaml(name: string): string {
  return `name: ${name}
case:
  title: "Alert {{alert.id}}"
  description: "{{alert.description}}"
steps:
  - status: Detection and Analysis
`;
}

/** A fresh temporary directory holding `files`; remove it with `cleanup`. */
export async function tempDir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'phasegate-playbooks-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

export async function cleanup(dirs: string[]): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

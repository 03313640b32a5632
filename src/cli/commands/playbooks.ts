/**
 * `phasegate playbooks validate [dir]`: the same checks the server and worker run at start-up, so a
 * playbook change can be checked in CI (or before a deploy) instead of by a failing restart.
 */
import { Command } from 'commander';
import type { Playbook } from '../../domain/playbook';
import { defaultPlaybookDir, loadPlaybookDirectory } from '../../server/playbook-directory';

export function playbooksCommand(): Command {
  const playbooks = new Command('playbooks').description('work with playbook files');
  playbooks
    .command('validate')
    .description('check playbook files against the schema and the SIR transition table')
    .argument('[dir]', 'playbook directory (default PHASEGATE_PLAYBOOKS or ./playbooks)')
    .action(async (dir: string | undefined) => {
      const { playbooks: loaded, errors } = await loadPlaybookDirectory(dir ?? defaultPlaybookDir(process.env));
      if (errors.length > 0) {
        for (const error of errors) console.error(error.toString());
        process.exitCode = 1;
        return;
      }
      for (const { file, playbook } of loaded) console.log(`✓ ${file}: ${playbook.name} (${describe(playbook)})`);
    });
  return playbooks;
}

function describe(playbook: Playbook): string {
  const steps = `${playbook.steps.length} step${playbook.steps.length === 1 ? '' : 's'}`;
  const gated = [
    ...playbook.steps.filter((step) => step.approval !== undefined).map((step) => `"${step.status}"`),
    ...(playbook.close?.approval !== undefined ? ['close'] : []),
  ];
  return `${steps}, approvals before: ${gated.length > 0 ? gated.join(', ') : 'none'}`;
}

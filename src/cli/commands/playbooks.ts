/**
 * `phasegate playbooks validate [dir]`: the same checks the server and worker run at start-up, so a
 * playbook change can be checked in CI (or before a deploy) instead of by a failing restart.
 */
import { Command } from 'commander';
import type { Playbook } from '../../domain/playbook/playbook';
import { checkChannelReferences } from '../../domain/playbook/channels';
import { CHANNELS_ENV, ChannelsFileError, readChannelNames } from '../../notify/channels-file';
import { defaultPlaybookDir, loadPlaybookDirectory } from '../../config/playbook-directory';

export function playbooksCommand(): Command {
  const playbooks = new Command('playbooks').description('work with playbook files');
  playbooks
    .command('validate')
    .description('check playbook files against the schema and the SIR transition table')
    .argument('[dir]', 'playbook directory (default PHASEGATE_PLAYBOOKS or ./playbooks)')
    .option('--channels <file>', `also check that every channel a playbook names is in this channels file (default ${CHANNELS_ENV}, when set)`)
    .action(async (dir: string | undefined, options: { channels?: string }) => {
      const { playbooks: loaded, errors } = await loadPlaybookDirectory(dir ?? defaultPlaybookDir(process.env));
      const problems = errors.map((error) => error.toString());
      // Names only: the secrets the file points at need not be present where playbooks are checked.
      const channelsFile = options.channels ?? (process.env[CHANNELS_ENV]?.trim() || undefined);
      if (channelsFile !== undefined) {
        try {
          problems.push(...checkChannelReferences(loaded, await readChannelNames(channelsFile), channelsFile).map((error) => error.toString()));
        } catch (err) {
          if (!(err instanceof ChannelsFileError)) throw err;
          problems.push(err.message);
        }
      }
      if (problems.length > 0) {
        for (const problem of problems) console.error(problem);
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

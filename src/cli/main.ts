/**
 * The `phasegate` command. Each sub-command lives in its own file under commands/; this file only
 * wires them and turns any failure into one line and a non-zero exit.
 */
import { Command, CommanderError } from 'commander';
import { caseCommands } from './commands/cases';
import { demoCommand } from './commands/demo';
import { devCommand } from './commands/dev';
import { intakeCommand } from './commands/intake';
import { playbooksCommand } from './commands/playbooks';
import { sandboxCommand } from './commands/sandbox';
import { serverCommand } from './commands/server';
import { workerCommand } from './commands/worker';
import { exitCodeFor, failureLine } from './failure';

export function buildProgram(): Command {
  const program = new Command('phasegate')
    .description('Durable security-incident playbooks for AWS Security Incident Response, on Temporal')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(devCommand());
  program.addCommand(workerCommand());
  program.addCommand(serverCommand());
  program.addCommand(sandboxCommand());
  program.addCommand(intakeCommand());
  program.addCommand(playbooksCommand());
  program.addCommand(demoCommand());
  for (const command of caseCommands()) program.addCommand(command);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
    if (!(err instanceof CommanderError)) console.error(failureLine(err));
  }
}

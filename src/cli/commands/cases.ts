/**
 * approve | reject | transition | status | list: humans acting on cases from a terminal. The CLI talks
 * to Temporal directly, so access to Temporal is the boundary and `--by` names the approver (SPEC §3);
 * the approver's groups come from the users file when there is one, or from `--group`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Client, Connection } from '@temporalio/client';
import type { CaseState, CaseTarget } from '../../domain/case-state';
import { ALL_CASE_STATUSES, type CaseStatus } from '../../domain/case-status';
import type { Actor } from '../../domain/messages';
import { loadUsersFile } from '../../server/users';
import { CaseCommandError, caseState, decide, listCases, requestTransition } from '../../temporal/case-commands';
import { loadTemporalTarget } from '../../temporal/connection-config';
import { dataConverterFromEnv } from '../../temporal/data-converter';
import { formatCaseList, formatCaseState } from '../case-format';

interface ActorOptions {
  by: string;
  group?: string[];
  comment?: string;
  json?: boolean;
}

export function caseCommands(): Command[] {
  return [
    decisionCommand('approve', 'approve the pending phase change of a case'),
    decisionCommand('reject', 'reject the pending phase change of a case'),
    new Command('transition')
      .description('ask for a phase change (e.g. back to "Detection and Analysis"); gated targets wait for approval')
      .argument('<caseId>', 'SIR case id or workflow id (case-…)')
      .requiredOption('--to <status>', 'target status, spelled as SIR does, or Closed', parseTarget)
      .requiredOption('--by <who>', 'who asks')
      .option('--group <name...>', 'groups of --by when there is no users file')
      .option('--reason <text>', 'why (kept in the case history)')
      .option('--json', 'print the case state as JSON')
      .action(async (ref: string, opts: ActorOptions & { to: CaseTarget; reason?: string }) => {
        const actor = await actorFrom(opts);
        const state = await withClient((client) => requestTransition(client, ref, { to: opts.to, reason: opts.reason, ...actor }));
        print(state, opts.json);
      }),
    new Command('status')
      .description('show a case: status, pending approval, history')
      .argument('<caseId>', 'SIR case id or workflow id (case-…)')
      .option('--json', 'print the case state as JSON')
      .action(async (ref: string, opts: { json?: boolean }) => print(await withClient((client) => caseState(client, ref)), opts.json)),
    new Command('list')
      .description('list running cases')
      .option('--status <status>', 'only cases in this SIR status', parseStatus)
      .option('--awaiting-approval', 'only cases waiting for a decision')
      .option('--all', 'include finished cases')
      .option('--json', 'print JSON')
      .action(async (opts: { status?: CaseStatus; awaitingApproval?: boolean; all?: boolean; json?: boolean }) => {
        const cases = await withClient((client) =>
          listCases(client, { status: opts.status, awaitingApproval: opts.awaitingApproval ? true : undefined, runningOnly: !opts.all }),
        );
        console.log(opts.json ? JSON.stringify(cases, null, 2) : formatCaseList(cases));
      }),
  ];
}

function decisionCommand(decision: 'approve' | 'reject', description: string): Command {
  return new Command(decision)
    .description(description)
    .argument('<caseId>', 'SIR case id or workflow id (case-…)')
    .requiredOption('--by <who>', 'who decides (must be an approver of the pending step)')
    .option('--group <name...>', 'groups of --by when there is no users file')
    .option('--comment <text>', 'kept in the decision record and the SIR case comment')
    .option('--json', 'print the case state as JSON')
    .action(async (ref: string, opts: ActorOptions) => {
      const actor = await actorFrom(opts);
      const state = await withClient((client) => decide(client, ref, { decision, comment: opts.comment, ...actor }));
      print(state, opts.json);
    });
}

async function actorFrom(opts: ActorOptions): Promise<Actor> {
  const directory = process.env.PHASEGATE_USERS ? await loadUsersFile(process.env.PHASEGATE_USERS) : undefined;
  const known = directory?.find(opts.by);
  if (directory && !known && !opts.group) {
    throw new Error(`"${opts.by}" is not in the users file ${process.env.PHASEGATE_USERS}; use a listed name or pass --group`);
  }
  return { by: opts.by, groups: opts.group ?? known?.groups ?? [] };
}

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const target = loadTemporalTarget(process.env);
  const connection = await Connection.connect(target.connectionOptions).catch((err: unknown) => {
    throw new Error(`cannot reach Temporal at ${target.address}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  });
  try {
    return await fn(new Client({ connection, namespace: target.namespace, dataConverter: dataConverterFromEnv(process.env) }));
  } catch (err) {
    if (err instanceof CaseCommandError) throw new Error(`${err.kind === 'not-found' ? 'not found' : 'refused'} (${err.type}): ${err.message}`, { cause: err });
    throw err;
  } finally {
    await connection.close();
  }
}

function print(state: CaseState, json?: boolean): void {
  console.log(json ? JSON.stringify(state, null, 2) : formatCaseState(state));
}

function parseStatus(value: string): CaseStatus {
  if (!(ALL_CASE_STATUSES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`"${value}" is not a SIR case status (${ALL_CASE_STATUSES.map((s) => `"${s}"`).join(', ')}).`);
  }
  return value as CaseStatus;
}

function parseTarget(value: string): CaseTarget {
  const status = parseStatus(value);
  if (status === 'Acknowledged' || status === 'Ready to Close') throw new InvalidArgumentError(`"${value}" is set by AWS, not by a transition.`);
  return status;
}

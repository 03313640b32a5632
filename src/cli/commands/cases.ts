/**
 * approve | reject | transition | status | list: humans acting on cases from a terminal, through the
 * phasegate API with the person's own token (see api-client.ts): the API says who decides, never a
 * flag. `--via temporal` is the operator's break-glass path straight to Temporal, for when the API is
 * down; there the workers decide whether they trust a bare name (PHASEGATE_TRUST_TEMPORAL_ACCESS).
 */
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Client, Connection } from '@temporalio/client';
import type { CaseState } from '../../domain/case/state';
import { ALL_CASE_STATUSES, type CaseStatus } from '../../domain/case/status';
import type { DecisionAnswer, TransitionAnswer } from '../../domain/contract/messages';
import { CaseCommandError, caseState, decide, findCase, listCases, requestTransition } from '../../temporal/case-commands';
import { loadTemporalTarget } from '../../temporal/connection-config';
import { dataConverterFromEnv } from '../../temporal/data-converter';
import { defaultStateDir } from '../../temporal/temporal-cli';
import { ApiError, PhasegateApi, resolveApiTarget } from '../api-client';
import { formatCaseList, formatCaseState, formatDecision, formatTransition } from '../case-format';
import { readDevCredentials } from '../dev-credentials';
import { UsageError } from '../usage-error';
import { atRest, waitForCase } from '../wait-for-case';
import type { CaseTarget } from '../../domain/case/status';

type Via = 'api' | 'temporal';

interface CommonOptions {
  via: Via;
  json?: boolean;
}

interface ActorOptions extends CommonOptions {
  by?: string;
  comment?: string;
  approval?: number;
  wait?: boolean;
}

const viaOption = (): Option =>
  new Option('--via <path>', 'api (default: PHASEGATE_URL with PHASEGATE_TOKEN) or temporal (break-glass: straight to Temporal)')
    .choices(['api', 'temporal'])
    .default('api');

export function caseCommands(): Command[] {
  return [
    decisionCommand('approve', 'approve the pending approval of a case'),
    decisionCommand('reject', 'reject the pending approval of a case'),
    new Command('transition')
      .description('ask for a phase change (e.g. back to "Detection and Analysis"); gated targets wait for approval')
      .argument('<caseId>', 'SIR case id or workflow id (case-…)')
      .requiredOption('--to <status>', 'target status, spelled as SIR does, or Closed', parseTarget)
      .option('--by <who>', 'who asks: must be the API token\'s user (required with --via temporal)')
      .option('--reason <text>', 'why (kept in the case history)')
      .option('--wait', 'wait until the move is made (or its gate is open) and print the case')
      .addOption(viaOption())
      .option('--json', 'print the answer as JSON')
      .action(async (ref: string, opts: ActorOptions & { to: CaseTarget; reason?: string }) => {
        const requestId = randomUUID();
        const answer: TransitionAnswer =
          opts.via === 'temporal'
            ? await withTemporal(async (client) => requestTransition(await findCase(client, ref), { to: opts.to, requestId, ...(opts.reason && { reason: opts.reason }), by: requireBy(opts) }))
            : await withApi(async (api) => {
                await checkBy(api, opts.by);
                return api.transition(ref, { to: opts.to, requestId, ...(opts.reason && { reason: opts.reason }) });
              });
        console.log(opts.json ? JSON.stringify(answer, null, 2) : formatTransition(answer));
        if (opts.wait) await printWhenAtRest(ref, opts);
      }),
    new Command('status')
      .description('show a case: status, pending approval and its id, move under way, history')
      .argument('<caseId>', 'SIR case id or workflow id (case-…)')
      .addOption(viaOption())
      .option('--json', 'print the case state as JSON')
      .action(async (ref: string, opts: CommonOptions) => {
        const state = opts.via === 'temporal' ? await withTemporal((client) => caseState(client, ref)) : await withApi((api) => api.caseState(ref));
        console.log(opts.json ? JSON.stringify(state, null, 2) : formatCaseState(state));
      }),
    new Command('list')
      .description('list running cases')
      .option('--status <status>', 'only cases in this SIR status', parseStatus)
      .option('--awaiting-approval', 'only cases waiting for a decision')
      .option('--all', 'include finished cases')
      .addOption(viaOption())
      .option('--json', 'print JSON')
      .action(async (opts: CommonOptions & { status?: CaseStatus; awaitingApproval?: boolean; all?: boolean }) => {
        const cases =
          opts.via === 'temporal'
            ? await withTemporal((client) =>
                listCases(client, { status: opts.status, awaitingApproval: opts.awaitingApproval ? true : undefined, runningOnly: !opts.all }),
              )
            : (
                await withApi((api) =>
                  api.listCases({ status: opts.status, awaitingApproval: opts.awaitingApproval ? 'true' : undefined, includeFinished: opts.all ? 'true' : undefined }),
                )
              ).cases;
        console.log(opts.json ? JSON.stringify(cases, null, 2) : formatCaseList(cases));
      }),
  ];
}

function decisionCommand(decision: 'approve' | 'reject', description: string): Command {
  return new Command(decision)
    .description(description)
    .argument('<caseId>', 'SIR case id or workflow id (case-…)')
    .option('--approval <id>', 'the approval to decide (default: the one pending now, as `status` shows it)', parseApprovalId)
    .option('--by <who>', 'who decides: must be the API token\'s user (required with --via temporal)')
    .option('--comment <text>', 'kept in the decision record and the SIR case comment')
    .option('--wait', 'wait until the move it allows is made and print the case')
    .addOption(viaOption())
    .option('--json', 'print the answer as JSON')
    .action(async (ref: string, opts: ActorOptions) => {
      const answer: DecisionAnswer =
        opts.via === 'temporal'
          ? await withTemporal(async (client) => {
              const by = requireBy(opts);
              const approvalId = opts.approval ?? pendingApprovalId(await caseState(client, ref), ref, by);
              return decide(await findCase(client, ref), { approvalId, decision, by, ...(opts.comment && { comment: opts.comment }) });
            })
          : await withApi(async (api) => {
              const me = await checkBy(api, opts.by);
              const approvalId = opts.approval ?? pendingApprovalId(await api.caseState(ref), ref, me);
              return api.decide(ref, { approvalId, decision, ...(opts.comment && { comment: opts.comment }) });
            });
      console.log(opts.json ? JSON.stringify(answer, null, 2) : formatDecision(answer));
      if (opts.wait) await printWhenAtRest(ref, opts);
    });
}

/** The answer comes once the decision is recorded; `--wait` follows the case until the move is made. */
async function printWhenAtRest(ref: string, opts: ActorOptions): Promise<void> {
  if (opts.via === 'temporal') throw new UsageError('--wait follows the case through the API; leave out --via temporal');
  const state = await withApi((api) => waitForCase(api, ref, atRest));
  console.log(opts.json ? JSON.stringify(state, null, 2) : formatCaseState(state));
}

/** How recent a decision of one's own must be for a bare `approve` to ask which approval is meant. */
const RECENT_OWN_DECISION_MS = 10 * 60_000;

/**
 * The approval a command without --approval decides: the one pending now, unless this person decided
 * another approval of the case moments ago. Then the command is most likely a retry of that one (its
 * answer lost), and deciding the next gate with it would be the wrong decision: it asks instead.
 */
function pendingApprovalId(state: CaseState, ref: string, by: string): number {
  const pending = state.pendingApproval;
  if (!pending || pending.decidedBy) throw new Error(`refused: no approval is pending on case ${ref} (status "${state.status ?? '?'}", ${state.phase})`);
  const mine = state.decisions.filter((d) => d.by === by && d.via !== 'timeout').at(-1);
  if (mine && mine.approvalId !== pending.approvalId && Date.now() - Date.parse(mine.at) < RECENT_OWN_DECISION_MS) {
    throw new UsageError(
      `you decided approval #${mine.approvalId} ("${mine.target}") at ${mine.at}; approval #${pending.approvalId} (move to "${pending.target}") is pending now: pass --approval ${pending.approvalId} to decide it`,
    );
  }
  return pending.approvalId;
}

/** `--by` is a check, not a claim: it must name the person the token belongs to. Answers who that is. */
async function checkBy(api: PhasegateApi, by: string | undefined): Promise<string> {
  const me = await api.me();
  if (by !== undefined && me.name !== by) throw new UsageError(`--by ${by} does not match the API token's user "${me.name}"; the token decides who acts`);
  return me.name;
}

function requireBy(opts: ActorOptions): string {
  if (!opts.by) throw new UsageError('--via temporal needs --by <who> (there is no token to say who you are)');
  return opts.by;
}

async function withApi<T>(fn: (api: PhasegateApi) => Promise<T>): Promise<T> {
  const api = new PhasegateApi(await resolveApiTarget(process.env));
  try {
    return await fn(api);
  } catch (err) {
    if (err instanceof ApiError) {
      const what = err.status === 404 ? 'not found' : err.status >= 500 ? 'failed' : 'refused';
      throw new Error(`${what} (${err.status}${err.type ? ` ${err.type}` : ''}): ${err.message}`, { cause: err });
    }
    throw err;
  }
}

async function withTemporal<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const target = loadTemporalTarget(process.env);
  // Payloads are encrypted: the key ring is PHASEGATE_KEYS, or the one `phasegate dev` generated here.
  const keys = process.env.PHASEGATE_KEYS ?? (await readDevCredentials(defaultStateDir(process.env)))?.payloadKeys;
  const connection = await Connection.connect(target.connectionOptions).catch((err: unknown) => {
    throw new Error(`cannot reach Temporal at ${target.address}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  });
  try {
    return await fn(new Client({ connection, namespace: target.namespace, dataConverter: dataConverterFromEnv({ ...process.env, ...(keys && { PHASEGATE_KEYS: keys }) }) }));
  } catch (err) {
    if (err instanceof CaseCommandError) throw new Error(`${err.kind === 'not-found' ? 'not found' : 'refused'} (${err.type}): ${err.message}`, { cause: err });
    throw err;
  } finally {
    await connection.close();
  }
}

function parseApprovalId(value: string): number {
  const id = Number(value);
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(id) || id < 1) throw new InvalidArgumentError(`"${value}" is not an approval id (a positive number, as \`status\` shows it).`);
  return id;
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

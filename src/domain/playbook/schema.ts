/**
 * Playbook files: YAML in `playbooks/`, one playbook per file, read into the `Playbook` type
 * (playbook/playbook.ts) or refused with errors that name the file, the step and the rule broken.
 *
 * ```yaml
 * name: guardduty-high-severity      # required; ^[a-z0-9][a-z0-9-]{1,62}$ (the PlaybookName search attribute)
 * description: …                     # optional, for people
 * match:                             # optional; which alerts this playbook takes
 *   source: guardduty                # generic | guardduty | securityhub | any (default any)
 *   type: "UnauthorizedAccess:*"     # optional glob on the alert type; * matches any run of characters
 *   minSeverity: 7                   # optional, 0–10 on the normalised alert severity scale
 * case:                              # required; how to open the SIR case when the alert names none
 *   title: "GuardDuty {{alert.type}} in {{alert.accountId}}"  # 1–300 characters
 *   description: "{{alert.description}}"                      # 1–8000 characters
 *   engagementType: Security Incident  # Security Incident (default) | Investigation
 *   resolverType: Self                 # Self (default) | AWS
 *   watchers:                          # optional, at most 30, distinct emails
 *     - { email: ir-lead@example.com, name: IR Lead, jobTitle: Incident lead }
 *   impactedAccounts: fromAlert        # fromAlert (default) | none
 *   impactedRegions: fromAlert         # fromAlert (default) | none
 * steps:                             # ordered target statuses; a case always starts in Submitted
 *   - status: Detection and Analysis
 *   - status: Containment, Eradication and Recovery
 *     approval:                        # a decision is needed BEFORE the case moves to this status
 *       approvers: [alice, group:ir-leads]   # users or group:<name>; one name may be written bare
 *       minApprovers: 2                      # optional: distinct people who must approve (default 1); with
 *                                            #   no group named it cannot exceed the named approvers
 *       separateFrom: requester              # optional, the only value: who asked for the move cannot approve it
 *       timeoutMayOverride: [minApprovers]   # required to approve on timeout (onTimeout or escalation.onTimeout:
 *                                            #   approve) past minApprovers > 1 or separateFrom: names each
 *                                            #   protection the clock may override (minApprovers, separateFrom)
 *       notify: [ir-leads-slack]             # optional: channel names (^[a-z0-9][a-z0-9-]{0,62}$, no repeats)
 *                                            #   from the worker's channels file (PHASEGATE_CHANNELS), told
 *                                            #   when the gate opens, escalates and times out
 *       remindEvery: 30m                     # optional, at least 1m, needs notify: remind the channels while
 *                                            #   the gate waits (shorter than some round's timeout)
 *       timeout: 4h                          # optional: 30s, 15m, 4h, 2d, 1h30m … (≤ 365d)
 *       onTimeout: escalate                  # escalate | reject | approve; needs timeout; default reject
 *       escalation:                          # required iff onTimeout is escalate
 *         approvers: [group:ciso]
 *         timeout: 24h
 *         onTimeout: reject                  # reject | approve (one escalation level only)
 *         notify: [soc-pager]                # optional: channels for the escalation round's audience
 *                                            #   (a URL is refused: it belongs in the channels file)
 *   - status: Post-incident Activities
 * close:                             # optional; present = CloseCase after the last step
 *   approval: { approvers: [group:ir-leads], timeout: 72h, onTimeout: approve }
 *                                    # `close: true` or `close: {}` closes without an approval
 * onReject: stay                     # stay (default: keep the status, wait for a new request) | close
 * sirRecheckEvery: 15m               # optional (default 15m, at least 1m): a waiting case re-reads its SIR
 *                                    # case this often, for changes made outside phasegate without an event
 * ```
 *
 * Placeholders in case.title / case.description: see CASE_TEMPLATE_PLACEHOLDERS.
 *
 * Normalised (playbook/playbook.ts): `minApprovers` appears only above 1 (absent means one approval), and a
 * single channel name becomes a list.
 *
 * Checking happens in three layers, each only on input the previous one accepted: YAML syntax, the
 * zod schema (shape, unknown fields, single-field rules; playbook/document.ts), then the rules that
 * relate fields (transition table, approval options; playbook/rules.ts). A file with a broken layer
 * therefore reports that layer's problems only; fixing them may reveal the next layer's.
 *
 * Pure code with no I/O: reading directories is src/config/playbook-directory.ts's job. Workflow code
 * should import the smaller modules (playbook/template.ts, playbook/duration.ts) rather than this one,
 * which pulls in the YAML parser.
 */
import { type Document, LineCounter, isScalar, parseAllDocuments, type YAMLError } from 'yaml';
import type { Playbook } from './playbook';
import { playbookDocumentSchema } from './document';
import { PlaybookError } from './error';
import { issuesToErrors } from './issues';
import { locate } from './location';
import { toPlaybook } from './normalise';
import { checkPlaybookRules } from './rules';

export { PlaybookError, type PlaybookErrorInit } from './error';
export { DURATION_EXAMPLES, MAX_DURATION_MS, formatDuration, parseDuration } from './duration';
export {
  CASE_TEMPLATE_FIELDS,
  CASE_TEMPLATE_PLACEHOLDERS,
  type CaseTemplateAlert,
  type CaseTemplateField,
  renderCaseTemplate,
} from './template';
export { PLAYBOOK_DEFAULTS } from './normalise';
export { STEP_STATUSES } from './step-status';

export type ParsePlaybookResult = { playbook: Playbook } | { errors: PlaybookError[] };

export interface ParsedPlaybook {
  file: string;
  playbook: Playbook;
}

/** Anchors and aliases are handy for sharing an approval block; this bounds "billion laughs" input. */
const MAX_ALIAS_COUNT = 100;

/** Reads one playbook file's text. Never throws: every problem comes back as a PlaybookError. */
export function parsePlaybook(text: string, file: string): ParsePlaybookResult {
  try {
    if (typeof text !== 'string') return fail(file, '', 'not-text', 'the playbook must be given as text');
    const read = readYaml(text, file);
    if ('errors' in read) return read;
    const parsed = playbookDocumentSchema.safeParse(read.value, { reportInput: true });
    if (!parsed.success) return { errors: issuesToErrors(parsed.error.issues, file, read.value, playbookDocumentSchema) };
    const violations = checkPlaybookRules(parsed.data);
    if (violations.length > 0) {
      return {
        errors: violations.map(({ path, rule, message }) => {
          const loc = locate(path, read.value);
          return new PlaybookError({ file, path: loc.path, ...(loc.step !== undefined && { step: loc.step }), rule, message });
        }),
      };
    }
    return { playbook: toPlaybook(parsed.data) };
  } catch (err) {
    // A bug in the checks must not take the loader down with an unhelpful stack: report it per file.
    return fail(file, '', 'internal-error', `the playbook could not be checked: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Rules across files: each name must be unique, since it routes alerts and tags workflows. */
export function validatePlaybookSet(parsed: readonly ParsedPlaybook[]): PlaybookError[] {
  const firstFileByName = new Map<string, string>();
  const errors: PlaybookError[] = [];
  for (const { file, playbook } of parsed) {
    const first = firstFileByName.get(playbook.name);
    if (first === undefined) {
      firstFileByName.set(playbook.name, file);
      continue;
    }
    errors.push(
      new PlaybookError({
        file,
        path: 'name',
        rule: 'duplicate-name',
        message: `name "${playbook.name}" is already used by ${first}; playbook names must be unique (each is a PlaybookName search attribute value): rename one of them`,
      }),
    );
  }
  return errors;
}

function readYaml(text: string, file: string): { value: unknown } | { errors: PlaybookError[] } {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, logLevel: 'silent', merge: true, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [];
  const [first, ...rest] = list;
  if (first === undefined) return emptyFile(file);

  const problems = [...first.errors, ...first.warnings];
  if (problems.length > 0) return { errors: problems.map((problem) => yamlError(problem, file)) };

  // A trailing `---` leaves an empty document behind: harmless, so only real content counts.
  const extra = rest.find((doc) => doc.errors.length > 0 || !isEmptyDocument(doc));
  if (extra !== undefined) {
    const line = extra.range ? lineCounter.linePos(extra.range[0]).line : undefined;
    return fail(
      file,
      line === undefined ? '' : `line ${line}`,
      'multiple-documents',
      'the file holds more than one YAML document ("---"); put each playbook in its own file',
    );
  }

  let value: unknown;
  try {
    value = first.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return fail(file, '', 'yaml-syntax', `the YAML could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return value === null || value === undefined ? emptyFile(file) : { value };
}

function isEmptyDocument(doc: Document): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}

function yamlError(problem: YAMLError, file: string): PlaybookError {
  const position = problem.linePos?.[0];
  const firstLine = problem.message.split('\n')[0] ?? problem.message;
  const message = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  return new PlaybookError({
    file,
    path: position ? `line ${position.line}, column ${position.col}` : '',
    rule: problem.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax',
    message: `${message} (YAML ${problem.code})`,
  });
}

function emptyFile(file: string): { errors: PlaybookError[] } {
  return fail(file, '', 'empty-file', 'the file has no content; a playbook needs at least name, case and steps (or close)');
}

function fail(file: string, path: string, rule: string, message: string): { errors: PlaybookError[] } {
  return { errors: [new PlaybookError({ file, path, rule, message })] };
}

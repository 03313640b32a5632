import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { PlaybookError, type ParsePlaybookResult, parsePlaybook, validatePlaybookSet } from '../../src/domain/playbook/schema';

const SHIPPED_DIR = join(__dirname, '..', '..', 'playbooks');

const CASE = `case:
  title: "Alert {{alert.id}}"
  description: "{{alert.description}}"
`;

/** A valid playbook around `steps` (and whatever else `extra` adds at the top level). */
function withSteps(steps: string, extra = ''): string {
  return `name: broken\n${CASE}steps:\n${steps}${extra}`;
}

const DA = '  - status: Detection and Analysis\n';
const CER = '  - status: Containment, Eradication and Recovery\n';
const PIA = '  - status: Post-incident Activities\n';

/** Step 2 (Containment…) with the given approval block, indented under the step. */
function gated(approval: string): string {
  const indented = approval
    .trim()
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
  return withSteps(`${DA}${CER}    approval:\n${indented}\n`);
}

const STEP2 = 'step 2 "Containment, Eradication and Recovery"';

function errorsOf(result: ParsePlaybookResult): PlaybookError[] {
  assert.ok('errors' in result, `expected the playbook to be refused, got ${JSON.stringify(result)}`);
  return result.errors;
}

function playbookOf(result: ParsePlaybookResult): Playbook {
  assert.ok('playbook' in result, `expected the playbook to be accepted, got:\n${'errors' in result ? result.errors.join('\n') : ''}`);
  return result.playbook;
}

describe('shipped playbooks', () => {
  const files = readdirSync(SHIPPED_DIR).filter((f) => /\.ya?ml$/.test(f));

  it('include the NIST default and the GuardDuty high-severity playbooks', () => {
    assert.deepEqual(files.sort(), ['guardduty-high-severity.yaml', 'nist-800-61-default.yaml']);
  });

  for (const file of files) {
    it(`${file} validates and is named after its file`, () => {
      const playbook = playbookOf(parsePlaybook(readFileSync(join(SHIPPED_DIR, file), 'utf8'), file));
      assert.equal(`${playbook.name}.yaml`, file);
      assert.ok(playbook.description && playbook.description.length > 20);
    });
  }

  it('the NIST default takes any alert through the three NIST phases with gated containment and close', () => {
    const playbook = playbookOf(parsePlaybook(readFileSync(join(SHIPPED_DIR, 'nist-800-61-default.yaml'), 'utf8'), 'nist'));
    assert.deepEqual(playbook.match, { source: 'any' });
    assert.deepEqual(
      playbook.steps.map((s) => s.status),
      ['Detection and Analysis', 'Containment, Eradication and Recovery', 'Post-incident Activities'],
    );
    assert.equal(playbook.steps[0]!.approval, undefined);
    const containment = playbook.steps[1]!.approval!;
    assert.deepEqual(containment.approvers, ['group:ir-leads']);
    assert.equal(containment.onTimeout, 'escalate');
    assert.ok(containment.timeoutMs! > 0);
    assert.equal(containment.escalation!.onTimeout, 'reject', 'containment is never approved by silence');
    assert.deepEqual(playbook.close?.approval?.approvers, ['group:ir-leads']);
    assert.ok(playbook.close.approval.timeoutMs! >= 24 * 3_600_000);
    assert.equal(playbook.onReject, 'stay');
    assert.equal(playbook.case.resolverType, 'Self');
  });

  it('the GuardDuty playbook takes severity ≥ 7 GuardDuty findings and escalates to security management', () => {
    const playbook = playbookOf(parsePlaybook(readFileSync(join(SHIPPED_DIR, 'guardduty-high-severity.yaml'), 'utf8'), 'gd'));
    assert.deepEqual(playbook.match, { source: 'guardduty', minSeverity: 7 });
    assert.equal(playbook.case.engagementType, 'Security Incident');
    const containment = playbook.steps.find((s) => s.status === 'Containment, Eradication and Recovery')!.approval!;
    assert.equal(containment.timeoutMs, 3_600_000);
    assert.deepEqual(containment.escalation?.approvers, ['group:security-management']);
    assert.deepEqual(playbook.close?.approval?.escalation?.approvers, ['group:security-management']);
  });
});

interface BrokenCase {
  name: string;
  yaml: string;
  rule: string;
  message: RegExp;
  path: string;
  step?: string;
}

const BROKEN: BrokenCase[] = [
  {
    name: 'misspelt field inside an approval',
    yaml: gated('approvers: [alice]\ntimout: 4h'),
    rule: 'unknown-field',
    message: /unknown field "timout" \(did you mean "timeout"\?\); approval takes approvers, timeout, onTimeout, escalation/,
    path: 'steps[1].approval.timout',
    step: STEP2,
  },
  {
    name: 'unknown top-level field',
    yaml: withSteps(DA, 'priority: high\n'),
    rule: 'unknown-field',
    message: /unknown field "priority"; the playbook takes name, description, match, case, steps, close, onReject/,
    path: 'priority',
  },
  {
    name: 'Oxford-comma spelling of Containment',
    yaml: withSteps(`${DA}  - status: Containment, Eradication, and Recovery\n`),
    rule: 'unknown-status',
    message: /did you mean "Containment, Eradication and Recovery"\?/,
    path: 'steps[1].status',
    step: 'step 2 "Containment, Eradication, and Recovery"',
  },
  {
    name: 'capital I in Post-Incident',
    yaml: withSteps(`${DA}  - status: Post-Incident Activities\n`),
    rule: 'unknown-status',
    message: /did you mean "Post-incident Activities"\?/,
    path: 'steps[1].status',
    step: 'step 2 "Post-Incident Activities"',
  },
  {
    name: 'a status that resembles nothing',
    yaml: withSteps(`${DA}  - status: Lessons Learned\n`),
    rule: 'unknown-status',
    message: /"Lessons Learned" is not a SIR case status; write one of "Detection and Analysis", "Containment, Eradication and Recovery", "Post-incident Activities"/,
    path: 'steps[1].status',
    step: 'step 2 "Lessons Learned"',
  },
  {
    name: 'Closed as a step',
    yaml: withSteps(`${DA}  - status: Closed\n`),
    rule: 'closed-as-step',
    message: /CloseCase.*top-level "close:"/,
    path: 'steps[1].status',
    step: 'step 2 "Closed"',
  },
  {
    name: 'AWS-only status as a step',
    yaml: withSteps(`${DA}  - status: Ready to Close\n`),
    rule: 'aws-managed-status',
    message: /only AWS sets/,
    path: 'steps[1].status',
    step: 'step 2 "Ready to Close"',
  },
  {
    name: 'Submitted as a step',
    yaml: withSteps(`  - status: Submitted\n${DA}`),
    rule: 'submitted-as-step',
    message: /every case is opened in "Submitted"/,
    path: 'steps[0].status',
    step: 'step 1 "Submitted"',
  },
  {
    name: 'first step skips Detection and Analysis',
    yaml: withSteps(CER),
    rule: 'transition-table',
    message: /every case starts in "Submitted": "Submitted" → "Containment, Eradication and Recovery" is not an allowed UpdateCaseStatus transition/,
    path: 'steps[0].status',
    step: 'step 1 "Containment, Eradication and Recovery"',
  },
  {
    name: 'Post-incident straight from Submitted',
    yaml: withSteps(PIA),
    rule: 'transition-table',
    message: /"Submitted" → "Post-incident Activities".*allowed from "Submitted": "Detection and Analysis"/,
    path: 'steps[0].status',
    step: 'step 1 "Post-incident Activities"',
  },
  {
    name: 'the same status twice in a row',
    yaml: withSteps(`${DA}${CER}${CER}`),
    rule: 'same-status',
    message: /after step 2 "Containment, Eradication and Recovery": the case is already in .*remove one of the two steps/,
    path: 'steps[2].status',
    step: 'step 3 "Containment, Eradication and Recovery"',
  },
  {
    name: 'status steps on an AWS-supported case',
    yaml: `name: broken\n${CASE}  resolverType: AWS\nsteps:\n${DA}`,
    rule: 'aws-supported-case',
    message: /never calls UpdateCaseStatus.*keep only "close"/,
    path: 'steps',
  },
  {
    name: 'neither steps nor close',
    yaml: `name: broken\n${CASE}steps: []\n`,
    rule: 'no-steps',
    message: /no steps and no close/,
    path: 'steps',
  },
  {
    name: 'empty approver list',
    yaml: gated('approvers: []'),
    rule: 'no-approvers',
    message: /approval\.approvers must name at least one user or group:<name>/,
    path: 'steps[1].approval.approvers',
    step: STEP2,
  },
  {
    name: 'approver with a space',
    yaml: gated('approvers: [alice smith]'),
    rule: 'bad-approver',
    message: /"alice smith" is not a user name or group:<name>/,
    path: 'steps[1].approval.approvers[0]',
    step: STEP2,
  },
  {
    name: 'group written with a capital G',
    yaml: gated('approvers: ["Group:ir-leads"]'),
    rule: 'bad-approver',
    message: /for a group write "group:ir-leads"/,
    path: 'steps[1].approval.approvers[0]',
    step: STEP2,
  },
  {
    name: 'the same approver twice',
    yaml: gated('approvers: [alice, group:ir-leads, alice]'),
    rule: 'duplicate-approver',
    message: /repeats "alice"/,
    path: 'steps[1].approval.approvers[2]',
    step: STEP2,
  },
  {
    name: 'duration without a known unit',
    yaml: gated('approvers: [alice]\ntimeout: 4x'),
    rule: 'bad-duration',
    message: /approval\.timeout must be a duration such as 30s, 15m, 4h, 2d or 1h30m.*found "4x"/,
    path: 'steps[1].approval.timeout',
    step: STEP2,
  },
  {
    name: 'duration of zero',
    yaml: gated('approvers: [alice]\ntimeout: 0m\nonTimeout: reject'),
    rule: 'bad-duration',
    message: /longer than zero/,
    path: 'steps[1].approval.timeout',
    step: STEP2,
  },
  {
    name: 'duration over a year',
    yaml: gated('approvers: [alice]\ntimeout: 366d'),
    rule: 'bad-duration',
    message: /at most 365d/,
    path: 'steps[1].approval.timeout',
    step: STEP2,
  },
  {
    name: 'duration as a bare number',
    yaml: gated('approvers: [alice]\ntimeout: 30'),
    rule: 'bad-duration',
    message: /must have a unit: write e\.g\. 30m or 30h/,
    path: 'steps[1].approval.timeout',
    step: STEP2,
  },
  {
    name: 'onTimeout without a timeout',
    yaml: gated('approvers: [alice]\nonTimeout: approve'),
    rule: 'on-timeout-without-timeout',
    message: /approval\.onTimeout is "approve" but the approval has no timeout/,
    path: 'steps[1].approval.onTimeout',
    step: STEP2,
  },
  {
    name: 'escalate without an escalation',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate'),
    rule: 'escalation-missing',
    message: /onTimeout is "escalate" but there is no approval\.escalation/,
    path: 'steps[1].approval.onTimeout',
    step: STEP2,
  },
  {
    name: 'escalation that can never happen',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: reject\nescalation: { approvers: [group:ciso] }'),
    rule: 'escalation-unused',
    message: /never be used because approval\.onTimeout is "reject"/,
    path: 'steps[1].approval.escalation',
    step: STEP2,
  },
  {
    name: 'chained escalation',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [group:ciso], timeout: 1d, onTimeout: escalate }'),
    rule: 'chained-escalation',
    message: /only one escalation level; choose reject or approve/,
    path: 'steps[1].approval.escalation.onTimeout',
    step: STEP2,
  },
  {
    name: 'escalation onTimeout without an escalation timeout',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [group:ciso], onTimeout: approve }'),
    rule: 'on-timeout-without-timeout',
    message: /escalation has no timeout/,
    path: 'steps[1].approval.escalation.onTimeout',
    step: STEP2,
  },
  {
    name: 'onTimeout without a timeout on the close gate',
    yaml: withSteps(DA, 'close:\n  approval: { approvers: [alice], onTimeout: approve }\n'),
    rule: 'on-timeout-without-timeout',
    message: /no timeout/,
    path: 'close.approval.onTimeout',
    step: 'close',
  },
  {
    name: 'an escalation notify URL (the form phasegate POSTed to unsigned)',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [bob], notify: "https://hooks.example.com/escalations?token=t0k3n" }'),
    rule: 'notify-url',
    message:
      /approval\.escalation\.notify is a URL, and phasegate no longer sends to URLs written in playbooks: add the endpoint to the worker's channels file \(PHASEGATE_CHANNELS\) as a signed webhook channel and name that channel here, e\.g\. notify: \[soc-pager\]/,
    path: 'steps[1].approval.escalation.notify',
    step: STEP2,
  },
  {
    name: 'an escalation notify URL of another scheme',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [bob], notify: "ftp://hooks.example.com/x" }'),
    rule: 'notify-url',
    message: /is a URL, and phasegate no longer sends to URLs written in playbooks/,
    path: 'steps[1].approval.escalation.notify',
    step: STEP2,
  },
  {
    name: 'an escalation notify URL inside a channel list',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [bob], notify: [soc-pager, "http://127.0.0.1:9/x"] }'),
    rule: 'bad-channel',
    message: /approval\.escalation\.notify\[1\] "http:\/\/127\.0\.0\.1:9\/x" is not a channel name.*URLs belong in the worker's channels file \(PHASEGATE_CHANNELS\)/,
    path: 'steps[1].approval.escalation.notify[1]',
    step: STEP2,
  },
  {
    name: 'minApprovers that is not a whole number',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: 1.5'),
    rule: 'bad-min-approvers',
    message: /approval\.minApprovers must be a whole number of at least 1.*\(found 1\.5\)/,
    path: 'steps[1].approval.minApprovers',
    step: STEP2,
  },
  {
    name: 'minApprovers of zero',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: 0'),
    rule: 'bad-min-approvers',
    message: /at least 1.*\(found 0\)/,
    path: 'steps[1].approval.minApprovers',
    step: STEP2,
  },
  {
    name: 'minApprovers written as text',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: "2"'),
    rule: 'wrong-type',
    message: /approval\.minApprovers must be a number \(found "2"\)/,
    path: 'steps[1].approval.minApprovers',
    step: STEP2,
  },
  {
    name: 'more approvals needed than people named, and no group',
    yaml: gated('approvers: [alice, bob]\nminApprovers: 3'),
    rule: 'min-approvers-unreachable',
    message: /minApprovers is 3 but approval\.approvers names only 2 people \(alice, bob\) and no group, so the gate could never open/,
    path: 'steps[1].approval.minApprovers',
    step: STEP2,
  },
  {
    name: 'more approvals needed than people named on the close gate',
    yaml: withSteps(DA, 'close:\n  approval: { approvers: alice, minApprovers: 2 }\n'),
    rule: 'min-approvers-unreachable',
    message: /names only 1 person \(alice\)/,
    path: 'close.approval.minApprovers',
    step: 'close',
  },
  {
    name: 'a quorum gate that approves on timeout without saying the clock may override the quorum',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: 2\ntimeout: 4h\nonTimeout: approve'),
    rule: 'timeout-overrides-quorum',
    message: /approval\.onTimeout is "approve": when the deadline passes the clock would move the case with fewer than the 2 distinct approvers minApprovers asks for; .*timeoutMayOverride: \[minApprovers\]/,
    path: 'steps[1].approval.onTimeout',
    step: STEP2,
  },
  {
    name: 'a four-eyes gate that approves on timeout without saying so',
    yaml: gated('approvers: [group:ir-leads]\nseparateFrom: requester\ntimeout: 4h\nonTimeout: approve'),
    rule: 'timeout-overrides-separation',
    message: /without anyone but the requester approving \(separateFrom: requester\); .*timeoutMayOverride: \[separateFrom\]/,
    path: 'steps[1].approval.onTimeout',
    step: STEP2,
  },
  {
    name: 'a quorum gate whose escalation approves on timeout',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: 2\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [group:ciso], timeout: 1d, onTimeout: approve }'),
    rule: 'timeout-overrides-quorum',
    message: /approval\.escalation\.onTimeout is "approve"/,
    path: 'steps[1].approval.escalation.onTimeout',
    step: STEP2,
  },
  {
    name: 'a quorum close gate that approves on timeout, with only the other protection overridden',
    yaml: withSteps(DA, 'close:\n  approval: { approvers: [group:ir-leads], minApprovers: 3, separateFrom: requester, timeoutMayOverride: separateFrom, timeout: 3d, onTimeout: approve }\n'),
    rule: 'timeout-overrides-quorum',
    message: /fewer than the 3 distinct approvers/,
    path: 'close.approval.onTimeout',
    step: 'close',
  },
  {
    name: 'timeoutMayOverride on a gate whose timeout rejects',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: 2\ntimeout: 4h\ntimeoutMayOverride: [minApprovers]'),
    rule: 'timeout-override-unused',
    message: /names minApprovers, but no timeout of this approval approves/,
    path: 'steps[1].approval.timeoutMayOverride',
    step: STEP2,
  },
  {
    name: 'timeoutMayOverride naming something the gate does not ask for',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: 2\ntimeout: 4h\nonTimeout: approve\ntimeoutMayOverride: [minApprovers, separateFrom]'),
    rule: 'timeout-override-unused',
    message: /names separateFrom, but the approval has no separateFrom/,
    path: 'steps[1].approval.timeoutMayOverride',
    step: STEP2,
  },
  {
    name: 'timeoutMayOverride naming something that is no protection',
    yaml: gated('approvers: [group:ir-leads]\nminApprovers: 2\ntimeout: 4h\nonTimeout: approve\ntimeoutMayOverride: [approvers]'),
    rule: 'bad-value',
    message: /approval\.timeoutMayOverride\[0\] "approvers" is not one of "minApprovers", "separateFrom"/,
    path: 'steps[1].approval.timeoutMayOverride[0]',
    step: STEP2,
  },
  {
    name: 'separateFrom something other than requester',
    yaml: gated('approvers: [group:ir-leads]\nseparateFrom: approvers'),
    rule: 'bad-value',
    message: /approval\.separateFrom "approvers" is not one of "requester"/,
    path: 'steps[1].approval.separateFrom',
    step: STEP2,
  },
  {
    name: 'channel name with capitals and an underscore',
    yaml: gated('approvers: [alice]\nnotify: [IR_Leads]'),
    rule: 'bad-channel',
    message: /approval\.notify\[0\] "IR_Leads" is not a channel name: 1–63 lowercase letters, digits and "-"/,
    path: 'steps[1].approval.notify[0]',
    step: STEP2,
  },
  {
    name: 'a webhook URL where a channel name belongs',
    yaml: gated('approvers: [alice]\nnotify: "https://hooks.slack.com/services/T0/B0/x"'),
    rule: 'bad-channel',
    message: /is not a channel name.*URLs belong in the worker's channels file \(PHASEGATE_CHANNELS\)/,
    path: 'steps[1].approval.notify[0]',
    step: STEP2,
  },
  {
    name: 'the same channel twice',
    yaml: gated('approvers: [alice]\nnotify: [ir-leads-slack, soc-pager, ir-leads-slack]'),
    rule: 'duplicate-channel',
    message: /approval\.notify\[2\] repeats "ir-leads-slack"/,
    path: 'steps[1].approval.notify[2]',
    step: STEP2,
  },
  {
    name: 'an empty channel list',
    yaml: gated('approvers: [alice]\nnotify: []'),
    rule: 'no-channels',
    message: /approval\.notify must name at least one channel, or remove the key/,
    path: 'steps[1].approval.notify',
    step: STEP2,
  },
  {
    name: 'reminders every 30 seconds',
    yaml: gated('approvers: [alice]\nnotify: [ir-leads-slack]\nremindEvery: 30s'),
    rule: 'remind-too-often',
    message: /approval\.remindEvery must be at least 1m \(found 30s\)/,
    path: 'steps[1].approval.remindEvery',
    step: STEP2,
  },
  {
    name: 'reminders with no channel to remind',
    yaml: gated('approvers: [alice]\nremindEvery: 30m'),
    rule: 'remind-without-notify',
    message: /remindEvery is set but approval\.notify names no channel/,
    path: 'steps[1].approval.remindEvery',
    step: STEP2,
  },
  {
    name: 'reminders less often than every round times out',
    yaml: gated('approvers: [alice]\nnotify: [ir-leads-slack]\nremindEvery: 2h\ntimeout: 1h\nonTimeout: escalate\nescalation: { approvers: [bob], timeout: 2h }'),
    rule: 'remind-never-fires',
    message: /remindEvery is 2h but no round of this approval waits longer than 2h, so no reminder would ever be sent/,
    path: 'steps[1].approval.remindEvery',
    step: STEP2,
  },
  {
    name: 'escalation notify that is not a channel name',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [bob], notify: "hooks.example.com/x" }'),
    rule: 'bad-channel',
    message: /approval\.escalation\.notify\[0\] "hooks\.example\.com\/x" is not a channel name/,
    path: 'steps[1].approval.escalation.notify[0]',
    step: STEP2,
  },
  {
    name: 'escalation notify as a number',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [bob], notify: 7 }'),
    rule: 'wrong-type',
    message: /approval\.escalation\.notify must be a list of channel names \(found number 7\)/,
    path: 'steps[1].approval.escalation.notify',
    step: STEP2,
  },
  {
    name: 'the same channel twice in an escalation',
    yaml: gated('approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [bob], notify: [soc-pager, soc-pager] }'),
    rule: 'duplicate-channel',
    message: /approval\.escalation\.notify\[1\] repeats "soc-pager"/,
    path: 'steps[1].approval.escalation.notify[1]',
    step: STEP2,
  },
  {
    name: 'unknown template placeholder',
    yaml: `name: broken\ncase:\n  title: "{{alert.acountId}} alert"\n  description: d\nsteps:\n${DA}`,
    rule: 'unknown-placeholder',
    message: /case\.title uses the unknown placeholder \{\{alert\.acountId\}\}; the placeholders are \{\{alert\.id\}\}/,
    path: 'case.title',
  },
  {
    name: 'unclosed template placeholder',
    yaml: `name: broken\ncase:\n  title: t\n  description: "See {{alert.description"\nsteps:\n${DA}`,
    rule: 'unknown-placeholder',
    message: /unclosed placeholder "\{\{alert\.description"/,
    path: 'case.description',
  },
  {
    name: 'title longer than SIR allows',
    yaml: `name: broken\ncase:\n  title: "${'x'.repeat(301)}"\n  description: d\nsteps:\n${DA}`,
    rule: 'bad-length',
    message: /case\.title must be 1–300 characters \(found 301\)/,
    path: 'case.title',
  },
  {
    name: 'name with capitals and spaces',
    yaml: `name: GuardDuty High\n${CASE}steps:\n${DA}`,
    rule: 'bad-name',
    message: /lowercase letters, digits and "-".*PlaybookName search attribute/,
    path: 'name',
  },
  {
    name: 'missing case',
    yaml: `name: broken\nsteps:\n${DA}`,
    rule: 'missing-field',
    message: /the playbook needs "case": how to open the SIR case/,
    path: 'case',
  },
  {
    name: 'missing status in a step',
    yaml: withSteps(`${DA}  - approval: { approvers: [alice] }\n`),
    rule: 'missing-field',
    message: /the step needs "status"/,
    path: 'steps[1].status',
    step: 'step 2',
  },
  {
    name: 'resolverType in lower case',
    yaml: `name: broken\n${CASE}  resolverType: self\nsteps:\n${DA}`,
    rule: 'bad-value',
    message: /case\.resolverType "self" is not one of "AWS", "Self" \(did you mean "Self"\?\)/,
    path: 'case.resolverType',
  },
  {
    name: 'unknown alert source',
    yaml: `name: broken\nmatch: { source: inspector }\n${CASE}steps:\n${DA}`,
    rule: 'bad-value',
    message: /match\.source "inspector" is not one of "generic", "guardduty", "securityhub", "any"/,
    path: 'match.source',
  },
  {
    name: 'severity above the scale',
    yaml: `name: broken\nmatch: { minSeverity: 11 }\n${CASE}steps:\n${DA}`,
    rule: 'out-of-range',
    message: /match\.minSeverity must be between 0 and 10/,
    path: 'match.minSeverity',
  },
  {
    name: 'infinite severity',
    yaml: `name: broken\nmatch: { minSeverity: .inf }\n${CASE}steps:\n${DA}`,
    rule: 'wrong-type',
    message: /match\.minSeverity must be a finite number \(found number Infinity\)/,
    path: 'match.minSeverity',
  },
  {
    name: 'watcher email SIR would refuse',
    yaml: `name: broken\n${CASE}  watchers: [{ email: "ir lead@example.com" }]\nsteps:\n${DA}`,
    rule: 'bad-email',
    message: /not an email address SIR accepts/,
    path: 'case.watchers[0].email',
  },
  {
    name: 'the same watcher twice',
    yaml: `name: broken\n${CASE}  watchers: [{ email: a@example.com }, { email: A@example.com }]\nsteps:\n${DA}`,
    rule: 'duplicate-watcher',
    message: /repeats A@example\.com/,
    path: 'case.watchers[1].email',
  },
  {
    name: 'more watchers than SIR allows',
    yaml: `name: broken\n${CASE}  watchers: [${Array.from({ length: 31 }, (_, i) => `{ email: w${i}@example.com }`).join(', ')}]\nsteps:\n${DA}`,
    rule: 'too-many-watchers',
    message: /lists 31 watchers; SIR allows at most 30/,
    path: 'case.watchers',
  },
  {
    name: 'step written as a bare status',
    yaml: withSteps('  - Detection and Analysis\n'),
    rule: 'wrong-type',
    message: /the step must be a mapping .* such as "- status: Detection and Analysis"/,
    path: 'steps[0]',
    step: 'step 1',
  },
  {
    name: 'approvers as a number',
    yaml: gated('approvers: 5'),
    rule: 'wrong-type',
    message: /approval\.approvers must be a list \(found number 5\)/,
    path: 'steps[1].approval.approvers',
    step: STEP2,
  },
  {
    name: 'close with nothing after the colon',
    yaml: withSteps(DA, 'close:\n'),
    rule: 'wrong-type',
    message: /close must be a mapping .*or remove the key \(found an empty value\)/,
    path: 'close',
    step: 'close',
  },
  {
    name: 'a list instead of a playbook',
    yaml: '- name: broken\n',
    rule: 'wrong-type',
    message: /must be one YAML mapping/,
    path: '',
  },
  {
    name: 'YAML syntax error',
    yaml: 'name: broken\nsteps: [\n',
    rule: 'yaml-syntax',
    message: /YAML/,
    path: 'line 3, column 1',
  },
  {
    name: 'a key given twice',
    yaml: `name: broken\nname: other\n${CASE}steps:\n${DA}`,
    rule: 'duplicate-key',
    message: /Map keys must be unique/,
    path: 'line 2, column 1',
  },
  {
    name: 'two playbooks in one file',
    yaml: `${withSteps(DA)}---\n${withSteps(DA)}`,
    rule: 'multiple-documents',
    message: /more than one YAML document/,
    path: 'line 7', // where the second document's marker is
  },
  {
    name: 'a file with only comments',
    yaml: '# nothing here yet\n',
    rule: 'empty-file',
    message: /no content/,
    path: '',
  },
];

describe('broken playbooks are refused with the rule they break', () => {
  it('the table covers at least 20 cases and 30 distinct rules', () => {
    assert.ok(BROKEN.length >= 20);
    assert.ok(new Set(BROKEN.map((c) => c.rule)).size >= 30, `only ${new Set(BROKEN.map((c) => c.rule)).size} rules`);
  });

  for (const c of BROKEN) {
    it(`${c.name} → ${c.rule}`, () => {
      const errors = errorsOf(parsePlaybook(c.yaml, 'broken.yaml'));
      assert.equal(errors.length, 1, `expected exactly one error, got:\n${errors.join('\n')}`);
      const [error] = errors as [PlaybookError];
      assert.ok(error instanceof PlaybookError);
      assert.equal(error.rule, c.rule, error.toString());
      assert.match(error.message, c.message);
      assert.equal(error.path, c.path);
      assert.equal(error.step, c.step);
      assert.equal(error.file, 'broken.yaml');
      const where = c.step ?? (c.path === '' ? '(document)' : c.path);
      assert.equal(error.toString(), `broken.yaml: ${where}: ${c.rule}: ${error.message.replace(/\s*[\r\n]+\s*/g, ' ')}`);
      assert.doesNotMatch(error.toString(), /[\r\n]/);
    });
  }
});

describe('every problem of a file is reported at once', () => {
  it('reports each schema problem, in document order', () => {
    const errors = errorsOf(parsePlaybook(gated('approvers: [alice, alice]\ntimeout: soon\nfoo: 1'), 'f.yaml'));
    assert.deepEqual(
      errors.map((e) => [e.rule, e.path]),
      [
        ['duplicate-approver', 'steps[1].approval.approvers[1]'],
        ['bad-duration', 'steps[1].approval.timeout'],
        ['unknown-field', 'steps[1].approval.foo'],
      ],
    );
  });

  it('reports each rule violation, naming each step', () => {
    const yaml = withSteps(`${DA}${DA}  - status: Post-incident Activities\n    approval: { approvers: [a], onTimeout: approve }\n`);
    const errors = errorsOf(parsePlaybook(yaml, 'f.yaml'));
    assert.deepEqual(
      errors.map((e) => `${e.step}: ${e.rule}`),
      ['step 2 "Detection and Analysis": same-status', 'step 3 "Post-incident Activities": on-timeout-without-timeout'],
    );
  });

  it('reports unknown fields even when other fields are wrong too', () => {
    const errors = errorsOf(parsePlaybook(`name: X\nsteps: 3\n${CASE}colour: red\n`, 'f.yaml'));
    assert.deepEqual(errors.map((e) => e.rule).sort(), ['bad-name', 'unknown-field', 'wrong-type']);
  });
});

describe('valid playbooks are normalised', () => {
  it('fills every default and converts durations to milliseconds', () => {
    const playbook = playbookOf(
      parsePlaybook(
        `name: full-example
description: Everything spelled out.
match: { source: securityhub, type: "Software and Configuration Checks/*", minSeverity: 4.5 }
case:
  title: "Security Hub {{alert.type}}"
  description: "{{alert.description}}"
  watchers:
    - { email: ir-lead@example.com, name: IR Lead, jobTitle: Lead }
    - { email: soc@example.com }
  impactedRegions: none
steps:
  - status: Detection and Analysis
  - status: Containment, Eradication and Recovery
    approval:
      approvers: [alice, group:ir-leads]
      timeout: 1h30m
      onTimeout: escalate
      escalation:
        approvers: group:ciso
        timeout: 2d
        notify: ciso-pager
  - status: Post-incident Activities
    approval: { approvers: bob, timeout: 30s }
close:
  approval: { approvers: [group:ir-leads], timeout: 72h, onTimeout: approve }
onReject: close
`,
        'full.yaml',
      ),
    );
    const expected: Playbook = {
      name: 'full-example',
      description: 'Everything spelled out.',
      match: { source: 'securityhub', type: 'Software and Configuration Checks/*', minSeverity: 4.5 },
      case: {
        title: 'Security Hub {{alert.type}}',
        description: '{{alert.description}}',
        engagementType: 'Security Incident',
        resolverType: 'Self',
        watchers: [{ email: 'ir-lead@example.com', name: 'IR Lead', jobTitle: 'Lead' }, { email: 'soc@example.com' }],
        impactedAccountsFromAlert: true,
        impactedRegionsFromAlert: false,
      },
      steps: [
        { status: 'Detection and Analysis' },
        {
          status: 'Containment, Eradication and Recovery',
          approval: {
            approvers: ['alice', 'group:ir-leads'],
            timeoutMs: 5_400_000,
            onTimeout: 'escalate',
            escalation: { approvers: ['group:ciso'], timeoutMs: 172_800_000, onTimeout: 'reject', notify: ['ciso-pager'] },
          },
        },
        { status: 'Post-incident Activities', approval: { approvers: ['bob'], timeoutMs: 30_000, onTimeout: 'reject' } },
      ],
      close: { approval: { approvers: ['group:ir-leads'], timeoutMs: 259_200_000, onTimeout: 'approve' } },
      onReject: 'close',
    };
    assert.deepEqual(playbook, expected);
    assert.deepEqual(JSON.parse(JSON.stringify(playbook)), playbook, 'the playbook travels as JSON in workflow input');
  });

  it('normalises quorum, four-eyes, channels and reminders', () => {
    const playbook = playbookOf(
      parsePlaybook(
        withSteps(
          `${DA}${CER}    approval:
      approvers: [alice, bob, group:ir-leads]
      minApprovers: 2
      separateFrom: requester
      notify: [ir-leads-slack, soc-pager]
      remindEvery: 30m
      timeout: 4h
      onTimeout: escalate
      escalation: { approvers: [group:ciso], timeout: 1d, notify: [ciso-pager] }
`,
          'close:\n  approval: { approvers: [alice, bob], minApprovers: 2, notify: soc-pager, remindEvery: 1m }\n',
        ),
        'quorum.yaml',
      ),
    );
    assert.deepEqual(playbook.steps[1]!.approval, {
      approvers: ['alice', 'bob', 'group:ir-leads'],
      timeoutMs: 14_400_000,
      onTimeout: 'escalate',
      escalation: { approvers: ['group:ciso'], timeoutMs: 86_400_000, onTimeout: 'reject', notify: ['ciso-pager'] },
      minApprovers: 2,
      separateFrom: 'requester',
      notify: ['ir-leads-slack', 'soc-pager'],
      remindEveryMs: 1_800_000,
    });
    assert.deepEqual(playbook.close?.approval, {
      approvers: ['alice', 'bob'],
      onTimeout: 'reject',
      minApprovers: 2,
      notify: ['soc-pager'],
      remindEveryMs: 60_000,
    });
    assert.deepEqual(JSON.parse(JSON.stringify(playbook)), playbook, 'the playbook travels as JSON in workflow input');
  });

  it('lets a quorum, four-eyes gate approve on timeout when the playbook names what the clock overrides', () => {
    const both = gated('approvers: [group:ir-leads]\nminApprovers: 2\nseparateFrom: requester\ntimeout: 4h\nonTimeout: approve\ntimeoutMayOverride: [minApprovers, separateFrom]');
    const approval = playbookOf(parsePlaybook(both, 'a')).steps[1]!.approval!;
    assert.deepEqual([approval.onTimeout, approval.minApprovers, approval.separateFrom], ['approve', 2, 'requester']);
    assert.ok(!('timeoutMayOverride' in approval), 'an acknowledgement for reviewers, not something the workflow runs');
    playbookOf(parsePlaybook(gated('approvers: [group:ir-leads]\nminApprovers: 2\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [group:ciso], timeout: 1d, onTimeout: approve }\ntimeoutMayOverride: minApprovers'), 'b'));
    // Nothing to override: a one-person gate, or a quorum gate whose timeout rejects.
    playbookOf(parsePlaybook(gated('approvers: [alice]\nminApprovers: 1\ntimeout: 4h\nonTimeout: approve'), 'c'));
    playbookOf(parsePlaybook(gated('approvers: [group:ir-leads]\nminApprovers: 2\nseparateFrom: requester\ntimeout: 4h\nonTimeout: reject'), 'd'));
  });

  it('drops minApprovers: 1, which is what a gate needs anyway, and accepts as many people as named', () => {
    const one = playbookOf(parsePlaybook(gated('approvers: [alice]\nminApprovers: 1'), 'a'));
    assert.deepEqual(one.steps[1]!.approval, { approvers: ['alice'], onTimeout: 'reject' });
    const all = playbookOf(parsePlaybook(gated('approvers: [alice, bob]\nminApprovers: 2'), 'a'));
    assert.equal(all.steps[1]!.approval!.minApprovers, 2);
  });

  it('reads a bare channel name in an escalation as a channel list, and never yields a URL to send to', () => {
    const escalated = (notify: string) => gated(`approvers: [alice]\ntimeout: 4h\nonTimeout: escalate\nescalation: { approvers: [bob], notify: ${notify} }`);
    const named = playbookOf(parsePlaybook(escalated('soc-pager'), 'a')).steps[1]!.approval!.escalation!;
    assert.deepEqual(named, { approvers: ['bob'], onTimeout: 'reject', notify: ['soc-pager'] });
    const refused = errorsOf(parsePlaybook(escalated('"https://hooks.example.com/x?token=t0k3n"'), 'a'));
    assert.deepEqual(refused.map((e) => e.rule), ['notify-url']);
    // The URL may carry a token: the error says what it is without repeating it.
    assert.doesNotMatch(refused.join('\n'), /hooks\.example\.com|t0k3n/);
  });

  it('accepts reminders that fit in some round, including an open-ended one', () => {
    const escalationLonger = gated('approvers: [alice]\nnotify: [a]\nremindEvery: 2h\ntimeout: 1h\nonTimeout: escalate\nescalation: { approvers: [bob], timeout: 1d }');
    assert.equal(playbookOf(parsePlaybook(escalationLonger, 'a')).steps[1]!.approval!.remindEveryMs, 7_200_000);
    const openEnded = gated('approvers: [alice]\nnotify: [a]\nremindEvery: 3d');
    assert.equal(playbookOf(parsePlaybook(openEnded, 'a')).steps[1]!.approval!.remindEveryMs, 259_200_000);
  });

  it('accepts a close-only playbook and fills the minimal defaults', () => {
    const playbook = playbookOf(parsePlaybook(`name: close-only\n${CASE}close: true\n`, 'c.yaml'));
    assert.deepEqual(playbook, {
      name: 'close-only',
      match: { source: 'any' },
      case: {
        title: 'Alert {{alert.id}}',
        description: '{{alert.description}}',
        engagementType: 'Security Incident',
        resolverType: 'Self',
        watchers: [],
        impactedAccountsFromAlert: true,
        impactedRegionsFromAlert: true,
      },
      steps: [],
      close: {},
      onReject: 'stay',
    });
  });

  it('accepts close: {} as close without approval and close: false as no close', () => {
    assert.deepEqual(playbookOf(parsePlaybook(withSteps(DA, 'close: {}\n'), 'a')).close, {});
    const noClose = playbookOf(parsePlaybook(withSteps(DA, 'close: false\n'), 'b'));
    assert.equal(noClose.close, undefined);
    assert.ok(!('close' in noClose), 'no key with an undefined value');
  });

  it('allows an AWS-supported case that is only closed', () => {
    const playbook = playbookOf(parsePlaybook(`name: aws-supported\n${CASE}  resolverType: AWS\nclose:\n  approval: { approvers: [group:ir-leads] }\n`, 'a'));
    assert.equal(playbook.case.resolverType, 'AWS');
    assert.deepEqual(playbook.steps, []);
    assert.deepEqual(playbook.close, { approval: { approvers: ['group:ir-leads'], onTimeout: 'reject' } });
  });

  it('allows going back a phase when the table allows it', () => {
    const playbook = playbookOf(parsePlaybook(withSteps(`${DA}${CER}${DA}${PIA}${CER}`), 'a'));
    assert.equal(playbook.steps.length, 5);
  });

  it('defaults onTimeout to reject when a timeout is given, and when none is', () => {
    const withTimeout = playbookOf(parsePlaybook(gated('approvers: [alice]\ntimeout: 15m'), 'a'));
    assert.deepEqual(withTimeout.steps[1]!.approval, { approvers: ['alice'], timeoutMs: 900_000, onTimeout: 'reject' });
    const without = playbookOf(parsePlaybook(gated('approvers: [alice]'), 'a'));
    assert.deepEqual(without.steps[1]!.approval, { approvers: ['alice'], onTimeout: 'reject' });
  });

  it('accepts spaces inside placeholders, every documented field, and non-ASCII text', () => {
    const playbook = playbookOf(
      parsePlaybook(
        `name: placeholders\ncase:\n  title: "{{ alert.type }} — Überprüfung"\n  description: "{{alert.id}} {{alert.source}} {{alert.type}} {{alert.title}} {{alert.description}} {{alert.severity}} {{alert.accountId}} {{alert.region}} {{alert.resourceId}}"\nsteps:\n${DA}`,
        'p',
      ),
    );
    assert.equal(playbook.case.title, '{{ alert.type }} — Überprüfung');
  });

  it('reads anchors and merge keys, so an approval block can be shared', () => {
    const yaml = `name: shared-approval
${CASE}steps:
  - status: Detection and Analysis
  - status: Containment, Eradication and Recovery
    approval: &leads { approvers: [group:ir-leads], timeout: 4h }
  - status: Post-incident Activities
    approval:
      <<: *leads
      onTimeout: approve
close:
  approval: *leads
`;
    const playbook = playbookOf(parsePlaybook(yaml, 'anchors.yaml'));
    assert.deepEqual(playbook.steps[1]!.approval, { approvers: ['group:ir-leads'], timeoutMs: 14_400_000, onTimeout: 'reject' });
    assert.deepEqual(playbook.steps[2]!.approval, { approvers: ['group:ir-leads'], timeoutMs: 14_400_000, onTimeout: 'approve' });
    assert.deepEqual(playbook.close?.approval, playbook.steps[1]!.approval);
    assert.notEqual(playbook.close?.approval, playbook.steps[1]!.approval, 'normalised objects are not shared');
  });

  it('accepts a leading document marker and a trailing empty document', () => {
    playbookOf(parsePlaybook(`---\n${withSteps(DA)}---\n`, 'a'));
  });

  it('accepts the longest name and rejects one character more', () => {
    const name = `a${'-'.repeat(62)}`;
    assert.equal(playbookOf(parsePlaybook(`name: "${name}"\n${CASE}steps:\n${DA}`, 'a')).name, name);
    assert.equal(errorsOf(parsePlaybook(`name: "${name}b"\n${CASE}steps:\n${DA}`, 'a'))[0]!.rule, 'bad-name');
  });
});

describe('robustness', () => {
  it('returns an error rather than throwing on a YAML alias bomb', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const errors = errorsOf(parsePlaybook(bomb.join('\n'), 'bomb.yaml'));
    assert.equal(errors[0]!.rule, 'yaml-syntax');
    assert.match(errors[0]!.message, /alias/i);
  });

  it('refuses a __proto__ key as an unknown field instead of polluting anything', () => {
    const errors = errorsOf(parsePlaybook(withSteps(DA, '__proto__: { polluted: true }\n'), 'p.yaml'));
    assert.deepEqual(errors.map((e) => [e.rule, e.path]), [['unknown-field', '__proto__']]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses non-text input without throwing', () => {
    const errors = errorsOf(parsePlaybook(undefined as unknown as string, 'x'));
    assert.equal(errors[0]!.rule, 'not-text');
  });
});

describe('validatePlaybookSet', () => {
  const named = (name: string): Playbook => playbookOf(parsePlaybook(`name: ${name}\n${CASE}steps:\n${DA}`, `${name}.yaml`));

  it('accepts distinct names', () => {
    assert.deepEqual(validatePlaybookSet([{ file: 'a.yaml', playbook: named('one') }, { file: 'b.yaml', playbook: named('two') }]), []);
  });

  it('reports every file that reuses a name, pointing at the first one', () => {
    const errors = validatePlaybookSet([
      { file: 'a.yaml', playbook: named('same') },
      { file: 'b.yaml', playbook: named('other') },
      { file: 'c.yaml', playbook: named('same') },
      { file: 'd.yaml', playbook: named('same') },
    ]);
    assert.deepEqual(
      errors.map((e) => [e.file, e.path, e.rule]),
      [
        ['c.yaml', 'name', 'duplicate-name'],
        ['d.yaml', 'name', 'duplicate-name'],
      ],
    );
    assert.match(errors[0]!.toString(), /^c\.yaml: name: duplicate-name: name "same" is already used by a\.yaml/);
  });
});

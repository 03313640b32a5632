/**
 * Bodies `POST /v1/alerts` must refuse, each with the path of the problem in the body as sent and a
 * message that says what to send instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAlert } from '../../src/domain/alert/parse';
import { REMOVE, fixture, patched } from './helpers';

const generic = (path: string, value: unknown): unknown => patched(fixture('generic-alert'), [path], value);
const guardDuty = (field: string, value: unknown): unknown => patched(fixture('guardduty-finding-event'), ['detail', field], value);
const finding = (path: Array<string | number>, value: unknown): unknown => patched(fixture('securityhub-findings-imported'), ['detail', 'findings', 0, ...path], value);
const securityHubFindings = (findings: unknown): unknown => patched(fixture('securityhub-findings-imported'), ['detail', 'findings'], findings);

interface Row {
  name: string;
  body: unknown;
  path: string;
  message: RegExp;
}

const ROWS: Row[] = [
  // Not an object at all.
  { name: 'null', body: null, path: '(body)', message: /must be a JSON object .*not null$/ },
  { name: 'an array', body: [fixture('generic-alert')], path: '(body)', message: /must be a JSON object .*not a list$/ },
  { name: 'a string', body: 'alert', path: '(body)', message: /not a string of 5 characters$/ },
  { name: 'a number', body: 42, path: '(body)', message: /not the number 42$/ },
  { name: 'a boolean', body: true, path: '(body)', message: /not true$/ },

  // Generic alerts: required fields, types, ranges, patterns, strictness.
  { name: 'an empty object', body: {}, path: 'id', message: /^is required/ },
  { name: 'generic: missing severity', body: generic('severity', REMOVE), path: 'severity', message: /^is required: a number from 0 \(informational\) to 10 \(critical\)$/ },
  { name: 'generic: severity as a string', body: generic('severity', '8'), path: 'severity', message: /^must be a number \(found a string of 1 character\)$/ },
  { name: 'generic: severity null', body: generic('severity', null), path: 'severity', message: /^must be a number \(found null\)$/ },
  { name: 'generic: severity above 10', body: generic('severity', 10.5), path: 'severity', message: /from 0 .* to 10 .*\(found 10\.5\)$/ },
  { name: 'generic: negative severity', body: generic('severity', -1), path: 'severity', message: /\(found -1\)$/ },
  { name: 'generic: empty id', body: generic('id', ''), path: 'id', message: /^must not be empty/ },
  { name: 'generic: id with a space', body: generic('id', 'alert 1'), path: 'id', message: /letters, digits and \. _ : \/ - only/ },
  { name: 'generic: id of 201 characters', body: generic('id', 'a'.repeat(201)), path: 'id', message: /at most 200 characters \(found 201\)/ },
  { name: 'generic: type as a number', body: generic('type', 5), path: 'type', message: /^must be a string \(found the number 5\)$/ },
  { name: 'generic: blank title', body: generic('title', '   '), path: 'title', message: /^must not be blank$/ },
  { name: 'generic: title of 301 characters', body: generic('title', 't'.repeat(301)), path: 'title', message: /^must be at most 300 characters \(found 301\)$/ },
  { name: 'generic: description of 8001 characters', body: generic('description', 'd'.repeat(8001)), path: 'description', message: /at most 8000 characters/ },
  { name: 'generic: 11-digit account id', body: generic('accountId', '11112222333'), path: 'accountId', message: /12-digit AWS account id .*found 11 characters\)$/ },
  { name: 'generic: account id with a letter', body: generic('accountId', '11112222333a'), path: 'accountId', message: /not all digits/ },
  { name: 'generic: account id as a number', body: generic('accountId', 111122223333), path: 'accountId', message: /^must be a string \(found the number 111122223333\)$/ },
  { name: 'generic: observedAt in words', body: generic('observedAt', 'yesterday'), path: 'observedAt', message: /ISO-8601 .*time zone/ },
  { name: 'generic: observedAt without a time zone', body: generic('observedAt', '2024-05-01T12:00:00'), path: 'observedAt', message: /time zone/ },
  { name: 'generic: observedAt on February 30', body: generic('observedAt', '2024-02-30T12:00:00Z'), path: 'observedAt', message: /existing date/ },
  { name: 'generic: caseId of 5 digits', body: generic('caseId', '12345'), path: 'caseId', message: /SIR case id: 10–32 digits/ },
  { name: 'generic: caseId with trailing text', body: generic('caseId', '8403556009abc'), path: 'caseId', message: /10–32 digits/ },
  { name: 'generic: threatActorIps as a string', body: generic('threatActorIps', '203.0.113.7'), path: 'threatActorIps', message: /^must be a list \(found a string/ },
  { name: 'generic: 201 threat actor addresses', body: generic('threatActorIps', Array.from({ length: 201 }, (_, i) => `198.51.100.${i % 256}`)), path: 'threatActorIps', message: /at most 200 items \(found 201\)/ },
  { name: 'generic: a threat actor address that is a number', body: generic('threatActorIps', [7]), path: 'threatActorIps[0]', message: /^must be a string/ },
  { name: 'generic: misspelt field', body: generic('sevrity', 3), path: 'sevrity', message: /^unknown field "sevrity" \(did you mean "severity"\?\); a generic alert takes only id, type, title/ },
  { name: 'generic: a source field (generic alerts have none)', body: generic('source', 'guardduty'), path: 'source', message: /^unknown field "source"/ },
  { name: 'generic: an unknown key with a dot', body: generic('a.b', 1), path: '["a.b"]', message: /^unknown field "a\.b"/ },

  // EventBridge envelopes.
  { name: 'event: detail-type without source', body: { 'detail-type': 'GuardDuty Finding', detail: {} }, path: 'source', message: /^is required in an EventBridge event$/ },
  { name: 'event: detail without detail-type', body: { source: 'aws.guardduty', detail: {} }, path: 'detail-type', message: /^is required in an EventBridge event$/ },
  { name: 'event: detail as a string', body: patched(fixture('guardduty-finding-event'), ['detail'], 'finding'), path: 'detail', message: /^must be a JSON object/ },
  { name: 'event: an unsupported source', body: patched(fixture('guardduty-finding-event'), ['source'], 'aws.inspector2'), path: 'source', message: /"aws\.inspector2" is not a supported EventBridge source/ },
  { name: 'event: an unsupported GuardDuty detail type', body: patched(fixture('guardduty-finding-event'), ['detail-type'], 'GuardDuty Runtime Protection Unhealthy'), path: 'detail-type', message: /is not supported from aws\.guardduty; phasegate takes "GuardDuty Finding"/ },

  // GuardDuty findings: strict on id, type, severity, accountId.
  { name: 'GuardDuty: missing finding id', body: guardDuty('id', REMOVE), path: 'detail.id', message: /^is required/ },
  { name: 'GuardDuty: empty type', body: guardDuty('type', ''), path: 'detail.type', message: /^must not be empty$/ },
  { name: 'GuardDuty: severity 11', body: guardDuty('severity', 11), path: 'detail.severity', message: /GuardDuty severity from 0 to 10 \(found 11\)/ },
  { name: 'GuardDuty: severity as a string', body: guardDuty('severity', 'HIGH'), path: 'detail.severity', message: /^must be a number/ },
  { name: 'GuardDuty: short account id', body: guardDuty('accountId', '1111'), path: 'detail.accountId', message: /12-digit AWS account id/ },
  { name: 'GuardDuty: missing account id', body: guardDuty('accountId', REMOVE), path: 'detail.accountId', message: /^is required: the 12-digit AWS account id$/ },

  // Security Hub events and ASFF findings.
  { name: 'Security Hub: empty findings', body: securityHubFindings([]), path: 'detail.findings', message: /the list is empty/ },
  { name: 'Security Hub: two findings', body: securityHubFindings([{}, {}]), path: 'detail.findings', message: /exactly one finding \(found 2\).*send each finding as its own event/ },
  { name: 'Security Hub: findings as an object', body: securityHubFindings({}), path: 'detail.findings', message: /^must be a list/ },
  { name: 'Security Hub: a null finding', body: securityHubFindings([null]), path: 'detail.findings[0]', message: /ASFF finding/ },
  { name: 'ASFF: missing AwsAccountId', body: finding(['AwsAccountId'], REMOVE), path: 'detail.findings[0].AwsAccountId', message: /^is required/ },
  { name: 'ASFF: bad AwsAccountId', body: finding(['AwsAccountId'], 'account-1'), path: 'detail.findings[0].AwsAccountId', message: /not all digits/ },
  { name: 'ASFF: missing Severity', body: finding(['Severity'], REMOVE), path: 'detail.findings[0].Severity', message: /^is required: an object with Label/ },
  { name: 'ASFF: Severity without Label or Normalized', body: finding(['Severity'], { Original: 'HIGH' }), path: 'detail.findings[0].Severity', message: /must carry Label .* or Normalized/ },
  { name: 'ASFF: unknown severity label', body: finding(['Severity', 'Label'], 'SEVERE'), path: 'detail.findings[0].Severity.Label', message: /must be one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL/ },
  { name: 'ASFF: Normalized 101', body: finding(['Severity', 'Normalized'], 101), path: 'detail.findings[0].Severity.Normalized', message: /from 0 to 100 \(found 101\)/ },
  { name: 'ASFF: empty Types', body: finding(['Types'], []), path: 'detail.findings[0].Types', message: /at least one finding type/ },
  { name: 'ASFF: Types as a string', body: finding(['Types'], 'Effects/Data Exposure'), path: 'detail.findings[0].Types', message: /^must be a list/ },
  { name: 'ASFF: Id of 513 characters', body: finding(['Id'], `arn:${'x'.repeat(509)}`), path: 'detail.findings[0].Id', message: /at most 512 characters/ },
];

describe('alert refusals', () => {
  it('the table has at least 30 rows', () => assert.ok(ROWS.length >= 30, `${ROWS.length} rows`));

  for (const row of ROWS) {
    it(row.name, () => {
      const result = parseAlert(row.body);
      assert.equal(result.ok, false, 'must be refused');
      if (result.ok) return;
      const hit = result.details.find((d) => d.path === row.path);
      assert.ok(hit, `no problem at path "${row.path}"; got ${JSON.stringify(result.details)}`);
      assert.match(hit.message, row.message);
      assert.match(result.error, /^invalid (alert|generic alert|EventBridge event|GuardDuty finding event|Security Hub findings event): /);
      // The summary names the first problems; a single-problem body's summary names that field.
      const field = row.path.replace(/^\["(.*)"\]$/, '$1');
      if (result.details.length === 1 && row.path !== '(body)') assert.ok(result.error.includes(field), result.error);
    });
  }
});

describe('refusal messages', () => {
  it('report every problem at once, and say how many the summary left out', () => {
    const body = { id: 'a b', type: '', title: '', severity: 'x', accountId: '1', extra: true };
    const result = parseAlert(body);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.details.map((d) => d.path).sort(), ['accountId', 'extra', 'id', 'severity', 'title', 'type']);
    assert.match(result.error, /; and 3 more problems$/);
  });

  it('never echo the refused text itself (alert text may be personal data)', () => {
    const secret = 'jane.doe@example.com';
    const bodies = [
      generic('title', `${secret} `.repeat(30)),
      generic('accountId', secret),
      generic('observedAt', secret),
      generic('id', secret),
      guardDuty('severity', secret),
    ];
    for (const body of bodies) {
      const result = parseAlert(body);
      assert.equal(result.ok, false);
      assert.ok(!JSON.stringify(result).includes(secret), JSON.stringify(result));
    }
  });

  it('cut and escape long or odd unknown field names', () => {
    const result = parseAlert(generic(`x\n${'y'.repeat(500)}`, 1));
    assert.equal(result.ok, false);
    if (result.ok) return;
    const detail = result.details[0]!;
    assert.ok(!detail.message.includes('\n'));
    assert.ok(detail.message.length < 400, `message of ${detail.message.length} characters`);
  });
});

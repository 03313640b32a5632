/**
 * The CloudFormation templates in deploy/eventbridge/ (linked from the docs, never copied into them) against the code
 * they feed: the header and route the API destination calls, the events its rules send (each one a
 * source an alert key can be allowed), the retry policy and dead-letter queue of every target, the
 * queue's redrive policy, and the intake's IAM permissions being exactly the SQS calls it makes.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { type ScalarTag, parse } from 'yaml';
import { GUARDDUTY_DETAIL_TYPE } from '../../src/domain/alert/guardduty';
import { SECURITYHUB_DETAIL_TYPE } from '../../src/domain/alert/securityhub';
import { API_KEY_HEADER } from '../../src/server/alert-auth';
import { alertKeySourceOf } from '../../src/server/alert-keys';

const ROOT = resolve(__dirname, '..', '..');
const API_DESTINATION = 'deploy/eventbridge/api-destination.yaml';
const SQS_INTAKE = 'deploy/eventbridge/sqs-intake.yaml';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Template {
  Resources: Record<string, Resource>;
}
interface Target {
  Arn: unknown;
  RetryPolicy?: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  DeadLetterConfig?: { Arn: unknown };
}

/** CloudFormation's short intrinsic functions, kept as their long forms. */
const intrinsics: ScalarTag[] = ['Ref', 'GetAtt', 'Sub'].map((name) => ({
  tag: `!${name}`,
  resolve: (value: string) => (name === 'Ref' ? { Ref: value } : { [`Fn::${name}`]: value }),
}));

async function template(file: string): Promise<Template> {
  return parse(await readFile(join(ROOT, file), 'utf8'), { customTags: intrinsics }) as Template;
}

function ofType(t: Template, type: string): Array<[string, Resource]> {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

function rules(t: Template): Array<{ name: string; pattern: Record<string, unknown>; targets: Target[] }> {
  return ofType(t, 'AWS::Events::Rule').map(([name, r]) => ({
    name,
    pattern: r.Properties.EventPattern as Record<string, unknown>,
    targets: r.Properties.Targets as Target[],
  }));
}

describe('EventBridge templates (deploy/eventbridge)', () => {
  it('live only in deploy/: the docs link each one and no page repeats any CloudFormation', async () => {
    // A copy in the docs drifts from the file that is deployed; one source, linked, cannot.
    const pages = ['README.md', ...(await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const texts = await Promise.all(pages.map(async (page) => ({ page, text: await readFile(join(ROOT, page), 'utf8') })));
    for (const { page, text } of texts) {
      assert.ok(!/AWSTemplateFormatVersion|Type: AWS::/.test(text), `${page} repeats CloudFormation inline; link the file in deploy/ instead`);
    }
    for (const file of [API_DESTINATION, SQS_INTAKE]) {
      const linked = texts.filter(({ page, text }) => text.includes(`](${page.startsWith('docs/') ? '../' : ''}${file})`));
      assert.ok(linked.length > 0, `a page links ${file}`);
    }
  });

  for (const file of [API_DESTINATION, SQS_INTAKE]) {
    it(`${file}: sends GuardDuty, Security Hub and SIR events, each a source alert keys know, with retries and a dead-letter queue`, async () => {
      const t = await template(file);
      const found = rules(t);
      const sources = found.flatMap((r) => r.pattern.source as string[]).sort();
      assert.deepEqual(sources, ['aws.guardduty', 'aws.security-ir', 'aws.securityhub']);
      for (const rule of found) {
        for (const source of rule.pattern.source as string[]) {
          const detailTypes = (rule.pattern['detail-type'] as string[] | undefined) ?? ['Case Updated'];
          for (const detailType of detailTypes) {
            assert.notEqual(alertKeySourceOf({ source, 'detail-type': detailType, detail: {} }), undefined, `${rule.name}: ${source} is a key source`);
          }
        }
        if (rule.pattern.source && (rule.pattern.source as string[]).includes('aws.guardduty')) assert.deepEqual(rule.pattern['detail-type'], [GUARDDUTY_DETAIL_TYPE]);
        if (rule.pattern.source && (rule.pattern.source as string[]).includes('aws.securityhub')) assert.deepEqual(rule.pattern['detail-type'], [SECURITYHUB_DETAIL_TYPE]);
        assert.equal(rule.targets.length, 1, rule.name);
        const [target] = rule.targets;
        // EventBridge's limits: 24 h and 185 attempts.
        assert.deepEqual(target!.RetryPolicy, { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 }, rule.name);
        const dlq = (target!.DeadLetterConfig?.Arn as { 'Fn::GetAtt'?: string } | undefined)?.['Fn::GetAtt'];
        assert.ok(dlq && t.Resources[dlq.split('.')[0]!]?.Type === 'AWS::SQS::Queue', `${rule.name} has an SQS dead-letter queue`);
      }
    });
  }

  it('the API destination posts to /v1/alerts with the X-Phasegate-Api-Key header', async () => {
    const t = await template(API_DESTINATION);
    const [[, connection]] = ofType(t, 'AWS::Events::Connection') as [[string, Resource]];
    const auth = connection.Properties.AuthParameters as { ApiKeyAuthParameters: { ApiKeyName: string } };
    assert.equal(connection.Properties.AuthorizationType, 'API_KEY');
    assert.equal(auth.ApiKeyAuthParameters.ApiKeyName.toLowerCase(), API_KEY_HEADER);
    const [[, destination]] = ofType(t, 'AWS::Events::ApiDestination') as [[string, Resource]];
    assert.equal(destination.Properties.HttpMethod, 'POST');
    const parameters = (t as unknown as { Parameters: Record<string, { AllowedPattern?: string; NoEcho?: boolean }> }).Parameters;
    assert.match('https://phasegate.example.com/v1/alerts', new RegExp(parameters.AlertsUrl!.AllowedPattern!));
    assert.equal(parameters.AlertKey!.NoEcho, true, 'the key never shows in the console or the API');
  });

  it('the intake queue has a redrive policy, and the intake may make exactly the SQS calls it makes', async () => {
    const t = await template(SQS_INTAKE);
    const queue = t.Resources.IntakeQueue!.Properties;
    const redrive = queue.RedrivePolicy as { maxReceiveCount: number; deadLetterTargetArn: { 'Fn::GetAtt': string } };
    assert.ok(redrive.maxReceiveCount >= 3, 'a transient failure does not dead-letter an alert');
    assert.equal(t.Resources[redrive.deadLetterTargetArn['Fn::GetAtt'].split('.')[0]!]?.Type, 'AWS::SQS::Queue');
    assert.equal(queue.MessageRetentionPeriod, 1209600, 'the queue keeps alerts 14 days (the SQS maximum)');

    const source = await readFile(join(ROOT, 'src/intake/sqs-intake.ts'), 'utf8');
    const calls = [...source.matchAll(/new (\w+)Command\(/g)].map((m) => `sqs:${m[1]}`);
    const policy = t.Resources.IntakePolicy!.Properties.PolicyDocument as { Statement: Array<{ Action: string[] }> };
    assert.deepEqual([...new Set(policy.Statement.flatMap((s) => s.Action))].sort(), [...new Set(calls)].sort());
  });
});

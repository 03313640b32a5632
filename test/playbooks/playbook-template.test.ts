import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CASE_TEMPLATE_FIELDS, CASE_TEMPLATE_PLACEHOLDERS, renderCaseTemplate } from '../../src/domain/playbook/schema';

const ALERT = {
  id: 'f-123',
  source: 'guardduty',
  type: 'UnauthorizedAccess:EC2/SSHBruteForce',
  title: 'SSH brute force',
  description: 'i-0abc is being brute-forced',
  severity: 7.5,
  accountId: '123456789012',
  region: 'eu-west-1',
  resourceId: 'i-0abc',
};

describe('case templates', () => {
  it('allow exactly the documented alert fields', () => {
    assert.deepEqual([...CASE_TEMPLATE_FIELDS], ['id', 'source', 'type', 'title', 'description', 'severity', 'accountId', 'region', 'resourceId']);
    assert.deepEqual(CASE_TEMPLATE_PLACEHOLDERS.slice(0, 2), ['{{alert.id}}', '{{alert.source}}']);
  });

  it('fill every field, numbers included', () => {
    const template = CASE_TEMPLATE_PLACEHOLDERS.join('|');
    assert.equal(renderCaseTemplate(template, ALERT), CASE_TEMPLATE_FIELDS.map((f) => String(ALERT[f])).join('|'));
  });

  it('fill a typical title, tolerating spaces inside the braces', () => {
    assert.equal(
      renderCaseTemplate('GuardDuty {{alert.type}} in {{ alert.accountId }} ({{alert.region}})', ALERT),
      'GuardDuty UnauthorizedAccess:EC2/SSHBruteForce in 123456789012 (eu-west-1)',
    );
  });

  it('render a field the alert lacks as empty text', () => {
    assert.equal(renderCaseTemplate('[{{alert.resourceId}}] {{alert.title}}', { title: 'x' }), '[] x');
  });

  it('never re-expand alert text, and take "$" literally', () => {
    const alert = { title: '{{alert.id}} $& $1', id: 'secret' };
    assert.equal(renderCaseTemplate('{{alert.title}}', alert), '{{alert.id}} $& $1');
  });

  it('leave unknown placeholders and inherited properties alone', () => {
    assert.equal(renderCaseTemplate('{{alert.constructor}} {{case.id}} {{alert.id}}', { id: '1' }), '{{alert.constructor}} {{case.id}} 1');
    assert.equal(renderCaseTemplate('{{alert.toString}}', {}), '{{alert.toString}}');
  });

  it('leave text without placeholders unchanged', () => {
    assert.equal(renderCaseTemplate('Plain { text } with {single} braces', ALERT), 'Plain { text } with {single} braces');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SirError } from '../../src/sir';
import type { CreateCaseInput } from '../../src/sir/shapes';
import { rejectionOf, useFakeSirServer } from './fake-sir-server';
import { CASE_ID, CREATE_CASE_INPUT } from './sample-calls';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('SIR requests and responses', () => {
  const fake = useFakeSirServer();

  describe('CreateCase', () => {
    it('POSTs /v1/create-case with modelled members only, epoch seconds and no nulls, and accepts 201', async () => {
      fake().respond({ status: 201, headers: { 'x-amzn-RequestId': 'r1' }, body: { caseId: CASE_ID, notInTheModel: true } });
      const input = {
        ...CREATE_CASE_INPUT,
        threatActorIpAddresses: [{ ipAddress: '198.51.100.7', userAgent: undefined }],
        impactedServices: undefined,
        impactedAwsRegions: null,
        tags: { team: 'ir', cost: undefined },
        fingerprint: 'an activity field that is not a CreateCase member',
      } as unknown as CreateCaseInput;

      const out = await fake().client().createCase(input);

      assert.deepEqual(out, { caseId: CASE_ID });
      const req = fake().last;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, '/v1/create-case');
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.headers['content-length'], String(Buffer.byteLength(req.body)));
      assert.ok(!req.body.includes('null'), req.body);
      assert.deepEqual(JSON.parse(req.body), {
        clientToken: 'phasegate:gd-finding-42',
        resolverType: 'Self',
        title: 'GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce',
        description: 'Brute force against i-0abc from 198.51.100.7',
        engagementType: 'Security Incident',
        reportedIncidentStartDate: 1741064767.89,
        impactedAccounts: ['123456789012'],
        watchers: [{ email: 'ir-lead@example.com', name: 'IR Lead' }],
        threatActorIpAddresses: [{ ipAddress: '198.51.100.7' }],
        tags: { team: 'ir' },
      });
      assert.match(req.body, /"reportedIncidentStartDate":1741064767\.89[,}]/);
    });

    it('sends empty required lists as [] and generates a UUID clientToken when none is given', async () => {
      fake().respond({ status: 201, body: { caseId: '1' + CASE_ID } }, { status: 201, body: { caseId: '2' + CASE_ID } });
      const { clientToken: _omitted, ...withoutToken } = CREATE_CASE_INPUT;
      const client = fake().client();
      await client.createCase({ ...withoutToken, impactedAccounts: [], watchers: [] });
      await client.createCase({ ...withoutToken, impactedAccounts: [], watchers: [] });
      const [first, second] = fake().requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      assert.match(String(first!.clientToken), UUID);
      assert.match(String(second!.clientToken), UUID);
      assert.notEqual(first!.clientToken, second!.clientToken);
      assert.deepEqual(first!.impactedAccounts, []);
      assert.deepEqual(first!.watchers, []);
    });

    it('rejects a 200 (not the modelled 201) as SirUnexpectedResponse', async () => {
      fake().respond({ status: 200, headers: { 'x-amzn-RequestId': 'r-200' }, body: { caseId: CASE_ID } });
      const err = await rejectionOf(fake().client().createCase(CREATE_CASE_INPUT));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
      assert.equal(err.httpStatus, 200);
      assert.equal(err.requestId, 'r-200');
      assert.equal(err.retryable, false);
      assert.match(err.sirMessage, /expected HTTP 201, got 200/);
    });

    it('rejects a 201 without the required caseId', async () => {
      fake().respond({ status: 201, body: {} });
      const err = await rejectionOf(fake().client().createCase(CREATE_CASE_INPUT));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
      assert.match(err.sirMessage, /caseId: required member is missing/);
    });

    it('refuses an Invalid Date before sending anything', async () => {
      const err = await rejectionOf(fake().client().createCase({ ...CREATE_CASE_INPUT, reportedIncidentStartDate: new Date('not a date') }));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'ValidationException');
      assert.equal(err.retryable, false);
      assert.equal(err.httpStatus, undefined);
      assert.equal(err.reason, 'FIELD_VALIDATION_FAILED');
      assert.deepEqual(err.fieldList, [{ name: 'reportedIncidentStartDate', message: 'expected a valid Date, got an invalid Date' }]);
      assert.equal(fake().requests.length, 0);
    });
  });

  describe('GetCase', () => {
    it('GETs /v1/cases/{caseId}/get-case with no body and no content-type, and decodes epoch seconds to Dates', async () => {
      fake().respond({
        status: 200,
        body: {
          title: 'Brute force',
          caseArn: `arn:aws:security-ir:us-east-1:123456789012:case/${CASE_ID}`,
          caseStatus: 'Containment, Eradication and Recovery',
          engagementType: 'Security Incident',
          resolverType: 'Self',
          pendingAction: 'None',
          reportedIncidentStartDate: 1741064767.89,
          createdDate: 1700000000,
          lastUpdatedDate: '1700000060.5',
          closedDate: null,
          impactedAccounts: ['123456789012'],
          watchers: [{ email: 'a@example.com', jobTitle: 'CISO' }],
          impactedAwsRegions: [{ region: 'eu-west-1' }],
          caseMetadata: [{ key: 'k', value: 'v' }],
          caseAttachments: [{ attachmentId: 'not modelled here' }],
        },
      });

      const out = await fake().client().getCase(CASE_ID);

      const req = fake().last;
      assert.equal(req.method, 'GET');
      assert.equal(req.path, `/v1/cases/${CASE_ID}/get-case`);
      assert.equal(req.body, '');
      assert.equal(req.headers['content-type'], undefined);
      assert.deepEqual(out, {
        title: 'Brute force',
        caseArn: `arn:aws:security-ir:us-east-1:123456789012:case/${CASE_ID}`,
        caseStatus: 'Containment, Eradication and Recovery',
        engagementType: 'Security Incident',
        resolverType: 'Self',
        pendingAction: 'None',
        reportedIncidentStartDate: new Date('2025-03-04T05:06:07.890Z'),
        createdDate: new Date('2023-11-14T22:13:20.000Z'),
        lastUpdatedDate: new Date('2023-11-14T22:14:20.500Z'),
        impactedAccounts: ['123456789012'],
        watchers: [{ email: 'a@example.com', jobTitle: 'CISO' }],
        impactedAwsRegions: [{ region: 'eu-west-1' }],
        caseMetadata: [{ key: 'k', value: 'v' }],
      });
    });

    it('percent-encodes the caseId label', async () => {
      fake().respond({ status: 200, body: {} });
      await fake().client().getCase("84/03 55?#(x)'");
      assert.equal(fake().last.path, '/v1/cases/84%2F03%2055%3F%23%28x%29%27/get-case');
    });

    it('refuses an empty caseId before sending anything', async () => {
      const err = await rejectionOf(fake().client().getCase(''));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'ValidationException');
      assert.deepEqual(err.fieldList, [{ name: 'caseId', message: 'must be a non-empty string' }]);
      assert.equal(fake().requests.length, 0);
    });

    it('rejects a timestamp that is not epoch seconds, naming the member', async () => {
      fake().respond({ status: 200, headers: { 'x-amzn-RequestId': 'r-iso' }, body: { createdDate: '2025-01-01T00:00:00Z' } });
      const err = await rejectionOf(fake().client().getCase(CASE_ID));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
      assert.equal(err.requestId, 'r-iso');
      assert.match(err.sirMessage, /createdDate: expected epoch seconds, got a string/);
    });

    it('rejects a body that is not JSON', async () => {
      fake().respond({ status: 200, body: '<html>hello from a captive portal</html>' });
      const err = await rejectionOf(fake().client().getCase(CASE_ID));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
      assert.equal(err.retryable, false);
      assert.match(err.sirMessage, /not valid JSON/);
    });

    it('rejects a 201 (not the modelled 200)', async () => {
      fake().respond({ status: 201, body: {} });
      const err = await rejectionOf(fake().client().getCase(CASE_ID));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
      assert.match(err.sirMessage, /expected HTTP 200, got 201/);
    });
  });

  describe('UpdateCaseStatus', () => {
    it('POSTs {caseStatus} to /v1/cases/{caseId}/update-case-status and accepts 201', async () => {
      fake().respond({ status: 201, body: { caseStatus: 'Containment, Eradication and Recovery' } });
      const out = await fake().client().updateCaseStatus(CASE_ID, 'Containment, Eradication and Recovery');
      const req = fake().last;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, `/v1/cases/${CASE_ID}/update-case-status`);
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.body, '{"caseStatus":"Containment, Eradication and Recovery"}');
      assert.deepEqual(out, { caseStatus: 'Containment, Eradication and Recovery' });
    });

    it('accepts an empty 201 body as an empty output', async () => {
      fake().respond({ status: 201 });
      assert.deepEqual(await fake().client().updateCaseStatus(CASE_ID, 'Post-incident Activities'), {});
    });

    it('rejects a 200 (not the modelled 201)', async () => {
      fake().respond({ status: 200, body: { caseStatus: 'Post-incident Activities' } });
      const err = await rejectionOf(fake().client().updateCaseStatus(CASE_ID, 'Post-incident Activities'));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
    });
  });

  describe('CloseCase', () => {
    it('POSTs /v1/cases/{caseId}/close-case with no body and no content-type, and decodes closedDate', async () => {
      fake().respond({ status: 200, body: { caseStatus: 'Closed', closedDate: 1700000000 } });
      const out = await fake().client().closeCase(CASE_ID);
      const req = fake().last;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, `/v1/cases/${CASE_ID}/close-case`);
      assert.equal(req.body, '');
      assert.equal(req.headers['content-type'], undefined);
      assert.deepEqual(out, { caseStatus: 'Closed', closedDate: new Date('2023-11-14T22:13:20.000Z') });
    });
  });

  describe('ListCases', () => {
    it('POSTs paging members to /v1/list-cases and decodes items', async () => {
      fake().respond({
        status: 200,
        body: {
          nextToken: 'page-3',
          total: 51,
          items: [
            { caseId: CASE_ID, caseStatus: 'Submitted', createdDate: 1700000000, resolverType: 'AWS' },
            { caseId: '8403556010', title: 'second', closedDate: 1741064767.89 },
          ],
        },
      });
      const out = await fake().client().listCases({ nextToken: 'page-2', maxResults: 25 });
      const req = fake().last;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, '/v1/list-cases');
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.body, '{"nextToken":"page-2","maxResults":25}');
      assert.deepEqual(out, {
        nextToken: 'page-3',
        total: 51,
        items: [
          { caseId: CASE_ID, caseStatus: 'Submitted', createdDate: new Date('2023-11-14T22:13:20.000Z'), resolverType: 'AWS' },
          { caseId: '8403556010', title: 'second', closedDate: new Date('2025-03-04T05:06:07.890Z') },
        ],
      });
    });

    it('sends {} without input and reads a page without items as empty', async () => {
      fake().respond({ status: 200, body: { total: 0 } });
      const out = await fake().client().listCases();
      assert.equal(fake().last.body, '{}');
      assert.deepEqual(out, { total: 0, items: [] });
    });

    it('names the offending item when one lacks its caseId', async () => {
      fake().respond({ status: 200, body: { items: [{ caseId: CASE_ID }, { title: 'no id' }] } });
      const err = await rejectionOf(fake().client().listCases());
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
      assert.match(err.sirMessage, /items\[1\]\.caseId: required member is missing/);
    });

    it('refuses a non-finite maxResults before sending anything', async () => {
      const err = await rejectionOf(fake().client().listCases({ maxResults: Number.NaN }));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'ValidationException');
      assert.deepEqual(err.fieldList, [{ name: 'maxResults', message: 'expected a finite number, got NaN' }]);
      assert.equal(fake().requests.length, 0);
    });
  });

  describe('CreateCaseComment', () => {
    it('POSTs {clientToken, body} to /v1/cases/{caseId}/create-comment and accepts 201', async () => {
      fake().respond({ status: 201, body: { commentId: '000042' } });
      const out = await fake().client().createCaseComment({ caseId: CASE_ID, body: 'Approved by alice: "go"', clientToken: 'tok-1' });
      const req = fake().last;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, `/v1/cases/${CASE_ID}/create-comment`);
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.body, '{"clientToken":"tok-1","body":"Approved by alice: \\"go\\""}');
      assert.deepEqual(out, { commentId: '000042' });
    });

    it('generates a UUID clientToken when none is given', async () => {
      fake().respond({ status: 201, body: { commentId: '000043' } });
      await fake().client().createCaseComment({ caseId: CASE_ID, body: 'b' });
      const sent = JSON.parse(fake().last.body) as { clientToken: string; body: string };
      assert.match(sent.clientToken, UUID);
      assert.equal(sent.body, 'b');
    });

    it('rejects a 201 without the required commentId', async () => {
      fake().respond({ status: 201, body: { commentId: null } });
      const err = await rejectionOf(fake().client().createCaseComment({ caseId: CASE_ID, body: 'b' }));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirUnexpectedResponse');
    });
  });

  describe('endpoint with a path prefix', () => {
    for (const prefix of ['/prefix', '/prefix/']) {
      it(`mounts every route below ${prefix}`, async () => {
        fake().respond({ status: 200, body: {} }, { status: 200, body: { items: [] } });
        const client = fake().client({ endpoint: `${fake().url}${prefix}` });
        await client.getCase(CASE_ID);
        await client.listCases();
        assert.deepEqual(
          fake().requests.map((r) => r.path),
          [`/prefix/v1/cases/${CASE_ID}/get-case`, '/prefix/v1/list-cases'],
        );
      });
    }
  });
});

/**
 * How `phasegate intake` builds its SQS client from the queue URL and the standard variables: the
 * queue URL's region wins (the queue lives there), and an endpoint override wins over the queue
 * URL's host, which the AWS SDK would otherwise call instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sqsClientFor } from '../../src/cli/commands/intake';
import { regionOfQueueUrl } from '../../src/intake/sqs-intake';

describe('SQS client for a queue URL', () => {
  it('reads the region from AWS queue URLs, and none from others', () => {
    assert.equal(regionOfQueueUrl('https://sqs.eu-west-1.amazonaws.com/111122223333/alerts'), 'eu-west-1');
    assert.equal(regionOfQueueUrl('https://sqs-fips.us-gov-west-1.amazonaws.com/111122223333/alerts'), 'us-gov-west-1');
    assert.equal(regionOfQueueUrl('https://us-east-2.queue.amazonaws.com/111122223333/alerts'), 'us-east-2');
    assert.equal(regionOfQueueUrl('https://sqs.cn-north-1.amazonaws.com.cn/111122223333/alerts'), 'cn-north-1');
    assert.equal(regionOfQueueUrl('http://127.0.0.1:9324/000000000000/alerts'), undefined);
    assert.equal(regionOfQueueUrl('not a url'), undefined);
  });

  it("uses the queue URL's region over AWS_REGION", async () => {
    const client = sqsClientFor('https://sqs.ap-southeast-2.amazonaws.com/111122223333/alerts', {});
    try {
      assert.equal(await client.config.region(), 'ap-southeast-2');
      assert.equal(client.config.useQueueUrlAsEndpoint, true, 'no override: the queue URL names the endpoint');
    } finally {
      client.destroy();
    }
  });

  it('lets AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL win over the queue URL host', () => {
    for (const env of [{ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324' }, { AWS_ENDPOINT_URL: 'https://vpce.example' }]) {
      const client = sqsClientFor('https://sqs.eu-west-1.amazonaws.com/111122223333/alerts', env);
      assert.equal(client.config.useQueueUrlAsEndpoint, false, JSON.stringify(env));
      client.destroy();
    }
    const empty = sqsClientFor('https://sqs.eu-west-1.amazonaws.com/111122223333/alerts', { AWS_ENDPOINT_URL_SQS: '' });
    assert.equal(empty.config.useQueueUrlAsEndpoint, true, 'an empty variable (compose default) is no override');
    empty.destroy();
  });
});

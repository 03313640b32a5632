import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { ChannelsFileError, loadChannelsFromEnv, parseChannelsFile } from '../../src/notify/channels-file';

const SLACK_URL = 'https://hooks.slack.com/services/T0000/B0000/XXXXsecretXXXX';
const ENV = {
  PHASEGATE_SLACK_IR_LEADS: SLACK_URL,
  PHASEGATE_WEBHOOK_SECRET: 'whsec_current,whsec_previous',
  PHASEGATE_DECISION_KEYS: 'whsec_decision_key_0123456789abcdef',
  PHASEGATE_NOTIFY_SECRET: 'whsec_notify,whsec_notify_next',
  PAGER_SECRET: 'whsec_pager',
  PAGER_URL: 'https://pager.example.com/hook?token=abc123',
};

const VALID = `channels:
  - name: ir-leads-slack
    type: slack
    urlEnv: PHASEGATE_SLACK_IR_LEADS
  - name: soc-pager
    type: webhook
    url: https://pager.example.com/phasegate
    secretEnv: PAGER_SECRET
  - name: ciso-pager
    type: webhook
    urlEnv: PAGER_URL
`;

describe('channels file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phasegate-channels-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('loads the file PHASEGATE_CHANNELS names, taking URLs and secrets from the environment', async () => {
    const file = join(dir, 'channels.yaml');
    await writeFile(file, VALID);
    const channels = await loadChannelsFromEnv({ ...ENV, PHASEGATE_CHANNELS: file });
    assert.ok(channels);
    assert.equal(channels.source, file);
    assert.deepEqual(channels.get('ir-leads-slack'), { name: 'ir-leads-slack', type: 'slack', url: SLACK_URL });
    assert.deepEqual(channels.get('soc-pager'), { name: 'soc-pager', type: 'webhook', url: 'https://pager.example.com/phasegate', signingSecret: 'whsec_pager' });
    // No secretEnv: notifications' own secret, the first of PHASEGATE_NOTIFY_SECRET (as during a rotation); never the webhook secret.
    assert.deepEqual(channels.get('ciso-pager'), { name: 'ciso-pager', type: 'webhook', url: ENV.PAGER_URL, signingSecret: 'whsec_notify' });
    assert.equal(channels.get('nope'), undefined);
  });

  it('shows names and types only when serialised or inspected', () => {
    const channels = parseChannelsFile(VALID, 'c.yaml', ENV);
    for (const shown of [JSON.stringify(channels), inspect(channels, { depth: 5, showHidden: true }), String(channels.describe().map((c) => `${c.name}:${c.type}`))]) {
      assert.match(shown, /ir-leads-slack/);
      for (const secret of [SLACK_URL, 'XXXXsecretXXXX', 'whsec_notify', 'whsec_pager', 'abc123']) assert.ok(!shown.includes(secret), `${secret} in ${shown}`);
    }
  });

  it('is optional: without PHASEGATE_CHANNELS there are no channels', async () => {
    assert.equal(await loadChannelsFromEnv({}), undefined);
    assert.equal(await loadChannelsFromEnv({ PHASEGATE_CHANNELS: '  ' }), undefined);
  });

  it('says which file cannot be read', async () => {
    const missing = join(dir, 'missing.yaml');
    await assert.rejects(loadChannelsFromEnv({ PHASEGATE_CHANNELS: missing }), (err: Error) => {
      assert.ok(err instanceof ChannelsFileError);
      assert.equal(err.message, `${missing} (PHASEGATE_CHANNELS): cannot read the file: ENOENT`);
      return true;
    });
  });

  const BROKEN: Array<{ name: string; yaml: string; env?: NodeJS.ProcessEnv; message: RegExp }> = [
    { name: 'not YAML', yaml: 'channels: [\n', message: /: not valid YAML: / },
    { name: 'an empty file', yaml: '', message: /: channels: is missing: the list of channels$/ },
    { name: 'a list at the top', yaml: '- name: a\n', message: /: \(document\): must be a mapping with a "channels:" list$/ },
    { name: 'no channels', yaml: 'channels: []\n', message: /: channels: must list at least one channel$/ },
    { name: 'an unknown top-level field', yaml: `${VALID}colour: red\n`, message: /: \(document\): Unrecognized key: "colour"$/ },
    { name: 'a bad channel name', yaml: 'channels:\n  - { name: IR_Leads, type: slack, urlEnv: PHASEGATE_SLACK_IR_LEADS }\n', message: /: channels\[0\]\.name: must be 1–63 lowercase letters, digits and "-"/ },
    { name: 'an unknown type', yaml: 'channels:\n  - { name: a, type: email }\n', message: /: channels\[0\]\.type: must be "slack", "slack-app" or "webhook"$/ },
    { name: 'a Slack URL written in the file', yaml: `channels:\n  - { name: a, type: slack, url: "${SLACK_URL}" }\n`, message: /: channels\[0\]\.url: a Slack incoming-webhook URL is a secret and must not be written in this file: put it in an environment variable and name that with urlEnv$/ },
    { name: 'a Slack channel without urlEnv', yaml: 'channels:\n  - { name: a, type: slack }\n', message: /: channels\[0\]\.urlEnv: is missing: the environment variable that holds the Slack incoming-webhook URL$/ },
    { name: 'a webhook with neither url nor urlEnv', yaml: 'channels:\n  - { name: a, type: webhook }\n', message: /: channels\[0\]\.url: a webhook channel needs exactly one of url and urlEnv$/ },
    { name: 'a webhook with both', yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com", urlEnv: PAGER_URL }\n', message: /exactly one of url and urlEnv/ },
    { name: 'a webhook URL that is not http(s)', yaml: 'channels:\n  - { name: a, type: webhook, url: "ftp://x.example.com" }\n', message: /: channels\[0\]\.url: must be an http\(s\) URL without user:password/ },
    { name: 'a webhook URL with a password', yaml: 'channels:\n  - { name: a, type: webhook, url: "https://u:pw@x.example.com" }\n', message: /channels\[0\]\.url: must be an http\(s\) URL without user:password/ },
    { name: 'an unknown channel field', yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com", secret: s }\n', message: /: channels\[0\]: Unrecognized key: "secret"$/ },
    { name: 'a variable name with a dash', yaml: 'channels:\n  - { name: a, type: slack, urlEnv: SLACK-URL }\n', message: /: channels\[0\]\.urlEnv: must be the name of an environment variable/ },
    { name: 'the same name twice', yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com" }\n  - { name: a, type: slack, urlEnv: PHASEGATE_SLACK_IR_LEADS }\n', message: /: channels\[1\]\.name: repeats "a"; channel names must be unique$/ },
    { name: 'urlEnv naming an unset variable', yaml: 'channels:\n  - { name: a, type: slack, urlEnv: PHASEGATE_SLACK_NOWHERE }\n', message: /: channels\[0\] "a": urlEnv names PHASEGATE_SLACK_NOWHERE, which is not set in the worker's environment$/ },
    { name: 'urlEnv holding something that is not a URL', yaml: 'channels:\n  - { name: a, type: slack, urlEnv: PHASEGATE_SLACK_IR_LEADS }\n', env: { PHASEGATE_SLACK_IR_LEADS: 'hooks.slack.com/services/XXXXsecretXXXX' }, message: /: channels\[0\] "a": PHASEGATE_SLACK_IR_LEADS does not hold an http\(s\) URL without user:password \(its value is not shown\)$/ },
    { name: 'secretEnv naming an unset variable', yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com", secretEnv: NOPE }\n', message: /: channels\[0\] "a": secretEnv names NOPE, which is not set in the worker's environment$/ },
    {
      name: 'a webhook with no secret of its own, where only the inbound webhook secret is set',
      yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com" }\n',
      env: { PHASEGATE_WEBHOOK_SECRET: 'whsec_current' },
      message: /: channels\[0\] "a": a webhook channel signs what it sends with a secret of its own: set PHASEGATE_NOTIFY_SECRET for the worker \(e\.g\. openssl rand -hex 32\), or name another variable with secretEnv$/,
    },
    {
      name: 'secretEnv naming the inbound webhook secret, even where it is not set',
      yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com", secretEnv: PHASEGATE_WEBHOOK_SECRET }\n',
      env: {},
      message:
        /: channels\[0\]\.secretEnv: must not name PHASEGATE_WEBHOOK_SECRET: that is the secret POST \/v1\/alerts accepts, so every receiver could post alerts; give notifications a secret of their own \(PHASEGATE_NOTIFY_SECRET, or another variable\)$/,
    },
    {
      name: 'secretEnv naming the decision keys',
      yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com", secretEnv: PHASEGATE_DECISION_KEYS }\n',
      message: /: channels\[0\]\.secretEnv: must not name PHASEGATE_DECISION_KEYS: that is the key that attests decisions, so every receiver could approve gates;/,
    },
    {
      name: 'PHASEGATE_NOTIFY_SECRET holding the inbound webhook secret',
      yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com" }\n',
      env: { ...ENV, PHASEGATE_NOTIFY_SECRET: 'whsec_current' },
      message:
        /: channels\[0\] "a": PHASEGATE_NOTIFY_SECRET holds the same value as a PHASEGATE_WEBHOOK_SECRET entry: a notification signed with it would let every receiver forge what phasegate accepts; give notifications a secret of their own \(its value is not shown\)$/,
    },
    {
      name: 'a secretEnv holding the older webhook secret of a rotation',
      yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com", secretEnv: PAGER_SECRET }\n',
      env: { ...ENV, PAGER_SECRET: ' whsec_previous ' },
      message: /: channels\[0\] "a": PAGER_SECRET holds the same value as a PHASEGATE_WEBHOOK_SECRET entry:/,
    },
    {
      name: 'the next secret of a notify rotation being an inbound one',
      yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com" }\n',
      env: { ...ENV, PHASEGATE_NOTIFY_SECRET: 'whsec_notify,whsec_current' },
      message: /: channels\[0\] "a": PHASEGATE_NOTIFY_SECRET holds the same value as a PHASEGATE_WEBHOOK_SECRET entry:/,
    },
    {
      name: 'a secret equal to a decision key',
      yaml: 'channels:\n  - { name: a, type: webhook, url: "https://x.example.com", secretEnv: PAGER_SECRET }\n',
      env: { ...ENV, PAGER_SECRET: ENV.PHASEGATE_DECISION_KEYS },
      message: /: channels\[0\] "a": PAGER_SECRET holds the same value as a PHASEGATE_DECISION_KEYS entry:/,
    },
  ];

  for (const c of BROKEN) {
    it(`refuses ${c.name} in one line naming the file and the field`, () => {
      assert.throws(
        () => parseChannelsFile(c.yaml, '/etc/phasegate/channels.yaml', c.env ?? ENV),
        (err: Error) => {
          assert.ok(err instanceof ChannelsFileError, String(err));
          assert.ok(err.message.startsWith('/etc/phasegate/channels.yaml (PHASEGATE_CHANNELS): '), err.message);
          assert.match(err.message, c.message);
          assert.doesNotMatch(err.message, /[\r\n]/);
          for (const secret of ['XXXXsecretXXXX', 'whsec_', 'abc123']) assert.ok(!err.message.includes(secret), `${secret} in ${err.message}`);
          return true;
        },
      );
    });
  }

  it('refuses, through PHASEGATE_CHANNELS, a channel signing with a key of the alert keys file (PHASEGATE_ALERT_KEYS)', async () => {
    const key = 'pgak_eventbridge_key_4a1f';
    const keysFile = join(dir, 'alert-keys.yaml');
    await writeFile(keysFile, `keys:\n  - { name: eventbridge-2026-11, keySha256: ${createHash('sha256').update(key).digest('hex')}, sources: [guardduty] }\n`);
    const file = join(dir, 'alert-key-channels.yaml');
    await writeFile(file, 'channels:\n  - { name: soc-pager, type: webhook, url: "https://pager.example.com/phasegate", secretEnv: PAGER_SECRET }\n');
    const env = { ...ENV, PHASEGATE_CHANNELS: file, PHASEGATE_ALERT_KEYS: keysFile };
    await assert.rejects(loadChannelsFromEnv({ ...env, PAGER_SECRET: key }), (err: Error) => {
      assert.ok(err instanceof ChannelsFileError, String(err));
      assert.equal(
        err.message,
        `${file} (PHASEGATE_CHANNELS): channels[0] "soc-pager": PAGER_SECRET holds the same value as alert key "eventbridge-2026-11" (PHASEGATE_ALERT_KEYS): a notification signed with it would let every receiver forge what phasegate accepts; give notifications a secret of their own (its value is not shown)`,
      );
      return true;
    });
    // Another secret is fine with the same keys file.
    assert.equal((await loadChannelsFromEnv({ ...env, PAGER_SECRET: 'whsec_pager' }))?.get('soc-pager')?.type, 'webhook');
  });

  it('reports every problem of the file at once', () => {
    const yaml = 'channels:\n  - { name: a, type: slack, urlEnv: UNSET_ONE }\n  - { name: b, type: webhook, url: "https://x.example.com", secretEnv: UNSET_TWO }\n';
    assert.throws(() => parseChannelsFile(yaml, 'c.yaml', {}), (err: ChannelsFileError) => {
      assert.equal(err.problems.length, 2);
      assert.match(err.message, /UNSET_ONE.*; channels\[1\] "b": secretEnv names UNSET_TWO/);
      return true;
    });
  });
});

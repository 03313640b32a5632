/**
 * The configuration a Slack app needs, and every refusal of it in one line: a `slack-app` channel in
 * the channels file (a conversation id, the bot token's variable, never the token), the users file's
 * Slack mappings (`slack: {team, user}`, `email`), and the server's PHASEGATE_SLACK_* variables.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelsFileError, parseChannelsFile } from '../../src/notify/channels-file';
import { SlackApp } from '../../src/server/slack-app';
import { parseUsersFile } from '../../src/config/users';

const TOKEN = 'xoxb-1111-2222-secretsecret';

describe('a slack-app channel in the channels file', () => {
  it('resolves the bot token from its variable (default PHASEGATE_SLACK_BOT_TOKEN) and the API URL', () => {
    const channels = parseChannelsFile(
      'channels:\n  - { name: leads, type: slack-app, slackChannel: C0123ABCD }\n  - { name: ciso, type: slack-app, slackChannel: G0999, tokenEnv: CISO_TOKEN }\n',
      'c.yaml',
      { PHASEGATE_SLACK_BOT_TOKEN: TOKEN, CISO_TOKEN: `${TOKEN}-ciso`, PHASEGATE_SLACK_API_URL: 'http://127.0.0.1:4599/api' },
    );
    assert.deepEqual(channels.get('leads'), { name: 'leads', type: 'slack-app', conversation: 'C0123ABCD', botToken: TOKEN, apiUrl: 'http://127.0.0.1:4599/api/' });
    const ciso = channels.get('ciso');
    assert.equal(ciso?.type === 'slack-app' ? ciso.botToken : undefined, `${TOKEN}-ciso`);
    assert.equal(parseChannelsFile('channels:\n  - { name: a, type: slack-app, slackChannel: C01 }\n', 'c.yaml', { PHASEGATE_SLACK_BOT_TOKEN: TOKEN }).get('a')?.type, 'slack-app');
    // What may be printed or serialised names the channel and its kind only.
    assert.equal(JSON.stringify(channels).includes(TOKEN), false);
    assert.deepEqual(channels.describe(), [{ name: 'leads', type: 'slack-app' }, { name: 'ciso', type: 'slack-app' }]);
  });

  const BROKEN: Array<{ name: string; yaml: string; env?: NodeJS.ProcessEnv; message: RegExp }> = [
    { name: 'a token written in the file', yaml: `channels:\n  - { name: a, type: slack-app, slackChannel: C01, token: ${TOKEN} }\n`, message: /: channels\[0\]\.token: a bot token is a secret and must not be written in this file: put it in an environment variable and name that with tokenEnv \(default PHASEGATE_SLACK_BOT_TOKEN\)$/ },
    { name: 'no conversation', yaml: 'channels:\n  - { name: a, type: slack-app }\n', message: /: channels\[0\]\.slackChannel: is missing: the id of the Slack conversation the bot posts in \(C…\)$/ },
    { name: 'a #name instead of an id', yaml: 'channels:\n  - { name: a, type: slack-app, slackChannel: "#ir-leads" }\n', message: /: channels\[0\]\.slackChannel: must be a Slack conversation id/ },
    { name: 'an unset token variable', yaml: 'channels:\n  - { name: a, type: slack-app, slackChannel: C01, tokenEnv: NOT_SET }\n', env: {}, message: /: channels\[0\] "a": tokenEnv names NOT_SET, which is not set in the worker's environment$/ },
    { name: 'the default token variable unset', yaml: 'channels:\n  - { name: a, type: slack-app, slackChannel: C01 }\n', env: {}, message: /tokenEnv names PHASEGATE_SLACK_BOT_TOKEN, which is not set/ },
    { name: 'a bad API URL', yaml: 'channels:\n  - { name: a, type: slack-app, slackChannel: C01 }\n', env: { PHASEGATE_SLACK_BOT_TOKEN: TOKEN, PHASEGATE_SLACK_API_URL: 'slack.com/api' }, message: /PHASEGATE_SLACK_API_URL must be an http\(s\) URL/ },
  ];
  for (const c of BROKEN) {
    it(`refuses ${c.name}, in one line, never showing the token`, () => {
      assert.throws(
        () => parseChannelsFile(c.yaml, 'c.yaml', c.env ?? { PHASEGATE_SLACK_BOT_TOKEN: TOKEN }),
        (err: Error) => {
          assert.ok(err instanceof ChannelsFileError, String(err));
          assert.match(err.message, c.message);
          assert.ok(!err.message.includes('secretsecret'), err.message);
          return true;
        },
      );
    });
  }
});

describe('Slack mappings in the users file', () => {
  const file = `users:
  - { name: alice, groups: [ir-leads], tokenSha256: ${'a'.repeat(64)}, slack: { team: T0123, user: U0456 } }
  - { name: bob, groups: [ir-leads], email: Bob@Example.com }
`;
  it('finds a user by Slack team and user, or by email (any case); a user may have no token', () => {
    const users = parseUsersFile(file, 'users.yaml');
    assert.deepEqual(users.findBySlack('T0123', 'U0456'), { name: 'alice', groups: ['ir-leads'] });
    assert.equal(users.findBySlack('T9999', 'U0456'), undefined, 'the team is part of the mapping');
    assert.deepEqual(users.findByEmail('bob@example.COM'), { name: 'bob', groups: ['ir-leads'] });
    assert.equal(users.mapsEmails, true);
    assert.equal(users.authenticate(''), undefined, 'a user without a token cannot be authenticated by one');
  });

  for (const [name, yaml, message] of [
    ['a user with no way in', 'users:\n  - { name: carol, groups: [x] }\n', /a user needs tokenSha256 \(the API and CLI\), slack: \{team, user\} or email/],
    ['a Slack user id that is a name', 'users:\n  - { name: carol, slack: { team: T0123, user: carol } }\n', /slack\.user is the Slack member id/],
    ['a bad email', 'users:\n  - { name: carol, email: carol }\n', /email must be an email address/],
    ['a Slack user mapped twice', 'users:\n  - { name: a, slack: { team: T01, user: U01 } }\n  - { name: b, slack: { team: T01, user: U01 } }\n', /Slack user T01\/U01 is mapped to two users \(the second is "b"\)/],
    ['an email given twice', 'users:\n  - { name: a, email: x@example.com }\n  - { name: b, email: X@example.com }\n', /email X@example.com is given to two users/],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.throws(() => parseUsersFile(yaml, 'users.yaml'), (err: Error) => message.test(err.message));
    });
  }
});

describe('the server side of a Slack app (PHASEGATE_SLACK_*)', () => {
  it('is off without a signing secret, and takes several during a rotation', () => {
    assert.equal(SlackApp.fromEnv({}), undefined);
    const app = SlackApp.fromEnv({ PHASEGATE_SLACK_SIGNING_SECRET: 'new, old', PHASEGATE_SLACK_BOT_TOKEN: TOKEN });
    assert.deepEqual(app?.signingSecrets, ['new', 'old']);
    assert.equal(app?.apiUrl, 'https://slack.com/api/');
    assert.ok(app?.api, 'a bot token gives the server users.info and views.open');
    assert.equal(JSON.stringify(app).includes(TOKEN) || JSON.stringify(app).includes('old'), false);
  });

  it("answers clicks only through Slack's response URLs, or the fake it was pointed at", () => {
    const real = SlackApp.fromEnv({ PHASEGATE_SLACK_SIGNING_SECRET: 's' })!;
    assert.equal(real.allowsResponseUrl('https://hooks.slack.com/actions/T0/1/abc'), true);
    assert.equal(real.allowsResponseUrl('https://attacker.example.com/actions'), false);
    assert.equal(real.allowsResponseUrl('http://hooks.slack.com/actions/T0/1/abc'), false);
    const dev = SlackApp.fromEnv({ PHASEGATE_SLACK_SIGNING_SECRET: 's', PHASEGATE_SLACK_API_URL: 'http://127.0.0.1:4599/api/' })!;
    assert.equal(dev.allowsResponseUrl('http://127.0.0.1:4599/response/abc'), true);
    assert.equal(dev.allowsResponseUrl('http://127.0.0.1:4600/response/abc'), false);
  });
});

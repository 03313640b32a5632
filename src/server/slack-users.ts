/**
 * Who a Slack click is: the phasegate user the users file maps the clicking Slack user to, never a
 * name the payload asserts. First by `slack: {team, user}`; else, when some users are mapped by
 * `email`, by the Slack user's email as Slack itself answers `users.info` (bot token, scope
 * `users:read.email`), and only when Slack says the email is confirmed and the user is a full member
 * of the workspace the click came from (not a guest, a bot, a deactivated account or a member of
 * another organisation in a shared channel).
 */
import type { SlackApp } from './slack-app';
import type { SlackActor } from './slack-interaction';
import type { User, UserDirectory } from '../config/users';

export type SlackIdentity =
  | { ok: true; user: User; by: 'slack-id' | 'email' }
  | { ok: false; unmapped: true; reason: string }
  | { ok: false; unmapped: false; reason: string };

export const MAPPING_RULE =
  'a Slack user decides only as the phasegate user whose entry in the users file (PHASEGATE_USERS) names them with slack: {team, user} or with their verified email';

export async function identifySlackUser(actor: SlackActor, users: UserDirectory | undefined, slack: SlackApp): Promise<SlackIdentity> {
  const who = `Slack user ${actor.user} of workspace ${actor.team}`;
  if (!users) return { ok: false, unmapped: true, reason: `${who} is not mapped to a phasegate user: this server has no users file; ${MAPPING_RULE}` };
  const byId = users.findBySlack(actor.team, actor.user);
  if (byId) return { ok: true, user: byId, by: 'slack-id' };
  if (!users.mapsEmails || !slack.api) {
    return { ok: false, unmapped: true, reason: `${who} is not mapped to a phasegate user; ${MAPPING_RULE}` };
  }
  let info: Awaited<ReturnType<NonNullable<SlackApp['api']>['users']['info']>>;
  try {
    info = await slack.api.users.info({ user: actor.user });
  } catch (err) {
    const said = (err as { data?: { error?: unknown } }).data?.error;
    return { ok: false, unmapped: false, reason: `phasegate could not ask Slack who ${actor.user} is (${typeof said === 'string' ? said : (err as Error).message}); try again` };
  }
  const member = info.user;
  const email = member?.profile?.email;
  const refuse = (why: string): SlackIdentity => ({ ok: false, unmapped: true, reason: `${who} is not mapped to a phasegate user (${why}); ${MAPPING_RULE}` });
  if (!member || member.deleted || member.is_bot) return refuse('Slack does not know them as an active person');
  if (member.is_restricted || member.is_ultra_restricted) return refuse('a guest account is never mapped by email');
  if (member.team_id !== undefined && member.team_id !== actor.team) return refuse('a member of another workspace is never mapped by email');
  if (!email) return refuse('Slack shows no email for them: does the app have the users:read.email scope?');
  if (member.is_email_confirmed !== true) return refuse('Slack says their email is not confirmed');
  const byEmail = users.findByEmail(email);
  return byEmail ? { ok: true, user: byEmail, by: 'email' } : refuse('no user in the users file has their email');
}

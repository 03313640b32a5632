/**
 * A local fake of Slack for a phasegate Slack app: its Web API, its response URLs, and people clicking
 * buttons (requests signed as Slack signs them). Only the CLI (`phasegate dev --slack-fake`) and tests
 * import it, like the SIR sandbox.
 */
export { FAKE_ADMIN_PREFIX, FAKE_CONVERSATION, FAKE_TEAM, startSlackFake, type ClickAction, type ClickRequest, type ClickResult, type SentRequest, type SlackFake, type SlackFakeOptions } from './server';
export { slackSignedHeaders } from './signing';
export type { FakeEphemeral, FakeMessage, FakeSlackUser, FakeView } from './workspace';

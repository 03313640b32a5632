/**
 * Names of notification channels. Playbooks name channels and the worker's channels file
 * (PHASEGATE_CHANNELS) says where each one goes, so a playbook committed to git never holds a Slack
 * URL (which is a secret) and workflow histories carry only the name.
 */

/** Lowercase, digits and "-", so a name is safe in a log line, a summary and a metric label. */
export const CHANNEL_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const CHANNEL_NAME_RULE = '1–63 lowercase letters, digits and "-", starting with a letter or digit';

export function isChannelName(value: string): boolean {
  return CHANNEL_NAME_PATTERN.test(value);
}

/**
 * The secrets phasegate checks on what it receives. A notification signed with one of them would hand
 * every receiver of notifications the power to forge that input: post alerts that open and drive
 * cases (the webhook secret, an alert key) or attest decisions (a decision key). The channels file
 * refuses a webhook channel that signs with one of these, by name or by value.
 *
 * Only what this process can see is compared: the variables in its environment, and the alert keys
 * file when PHASEGATE_ALERT_KEYS names one (it holds SHA-256 digests, compared as such). A worker
 * deployed without the inbound secrets still refuses the inbound variables by name.
 */
import { AlertKeyring, loadAlertKeysFile } from '../server/alert-keys';
import { parseWebhookSecrets } from '../server/webhook-signature';

/** Each inbound secret's variable, and what a signature made with it would let a receiver forge. */
export const INBOUND_SECRET_ENVS: ReadonlyMap<string, string> = new Map([
  ['PHASEGATE_WEBHOOK_SECRET', 'the secret POST /v1/alerts accepts, so every receiver could post alerts'],
  ['PHASEGATE_DECISION_KEYS', 'the key that attests decisions, so every receiver could approve gates'],
]);

export const ALERT_KEYS_ENV = 'PHASEGATE_ALERT_KEYS';

export class InboundSecrets {
  readonly #named: ReadonlyArray<{ what: string; value: string }>;
  readonly #alertKeys: AlertKeyring | undefined;

  /** `named`: each value with the words that name it in a message ("a PHASEGATE_WEBHOOK_SECRET entry"). */
  constructor(named: ReadonlyArray<{ what: string; value: string }>, alertKeys?: AlertKeyring) {
    this.#named = named.filter((n) => n.value !== '');
    this.#alertKeys = alertKeys;
  }

  /** What `value` is among the inbound secrets, in words that never show it; undefined when none. */
  match(value: string): string | undefined {
    const named = this.#named.find((n) => n.value === value);
    if (named) return named.what;
    const key = this.#alertKeys?.authenticateApiKey(value);
    return key ? `alert key "${key.name}" (${ALERT_KEYS_ENV})` : undefined;
  }

  /** The inbound secrets held in variables; the alert keys file needs reading (loadInboundSecrets). */
  static fromEnv(env: NodeJS.ProcessEnv, alertKeys?: AlertKeyring): InboundSecrets {
    return new InboundSecrets(
      [
        ...parseWebhookSecrets(env.PHASEGATE_WEBHOOK_SECRET).map((value) => ({ what: 'a PHASEGATE_WEBHOOK_SECRET entry', value })),
        ...parseWebhookSecrets(env.PHASEGATE_DECISION_KEYS).map((value) => ({ what: 'a PHASEGATE_DECISION_KEYS entry', value })),
      ],
      alertKeys,
    );
  }
}

/** Everything inbound this process can see, the alert keys file included when PHASEGATE_ALERT_KEYS is set. */
export async function loadInboundSecrets(env: NodeJS.ProcessEnv): Promise<InboundSecrets> {
  const file = env[ALERT_KEYS_ENV]?.trim();
  return InboundSecrets.fromEnv(env, file ? await loadAlertKeysFile(file) : undefined);
}

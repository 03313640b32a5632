/**
 * The content hash of a playbook: SHA-256 over its normalised form (playbook/playbook.ts) as canonical JSON.
 * A case start names its playbook and this hash, and a worker runs the case only with its own
 * playbook of that name and hash (SPEC §3, "Starting a case"); the server and the worker must
 * therefore compute it alike, which is why it is this one pure function.
 */
import { canonicalJson } from '../canonical-json';
import { sha256Hex } from '../alert/fingerprint';
import type { Playbook } from './playbook';

export function playbookSha256(playbook: Playbook): string {
  return sha256Hex(canonicalJson(playbook));
}

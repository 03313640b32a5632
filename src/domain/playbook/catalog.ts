/**
 * The playbooks a worker runs, each known by its name and content hash (playbook/hash.ts): those of
 * the worker's own playbook directory. A case whose start names a playbook the catalog does not hold,
 * under that name with that hash, is refused before it makes any SIR call (workflows/case-start.ts).
 */
import type { Playbook } from './playbook';
import { playbookSha256 } from './hash';

export type CatalogAnswer =
  | { ok: true }
  | { ok: false; reason: 'unknown-name'; names: string[] }
  | { ok: false; reason: 'other-content'; hashes: string[] };

export class PlaybookCatalog {
  private readonly byName = new Map<string, Set<string>>();

  constructor(playbooks: Iterable<Playbook> = []) {
    for (const playbook of playbooks) this.add(playbook);
  }

  /** Adds a playbook and answers its hash. A directory holds one per name; a test worker may hold several. */
  add(playbook: Playbook): string {
    const sha256 = playbookSha256(playbook);
    const known = this.byName.get(playbook.name) ?? new Set<string>();
    known.add(sha256);
    this.byName.set(playbook.name, known);
    return sha256;
  }

  check(name: string, sha256: string): CatalogAnswer {
    const known = this.byName.get(name);
    if (!known) return { ok: false, reason: 'unknown-name', names: this.names };
    if (!known.has(sha256)) return { ok: false, reason: 'other-content', hashes: [...known] };
    return { ok: true };
  }

  get names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

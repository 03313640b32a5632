import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../../src/domain/alert/alert';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { parsePlaybook } from '../../src/domain/playbook/schema';
import { testPlaybook as basePlaybook } from '../helpers/playbooks';

export const FIXTURES_DIR = join(__dirname, '..', 'fixtures');
export const SHIPPED_PLAYBOOKS_DIR = join(__dirname, '..', '..', 'playbooks');

export const FIXTURE_NAMES = ['guardduty-finding-event', 'guardduty-finding-low', 'securityhub-findings-imported', 'generic-alert'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

/** A fresh copy of a fixture body each call, so tests can mutate it freely. */
export function fixture(name: FixtureName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** The playbooks in playbooks/, parsed by the real loader; a broken shipped file fails the test run. */
export function shippedPlaybooks(): Playbook[] {
  return readdirSync(SHIPPED_PLAYBOOKS_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const result = parsePlaybook(readFileSync(join(SHIPPED_PLAYBOOKS_DIR, file), 'utf8'), file);
      if ('errors' in result) throw new Error(`shipped playbook ${file} does not load: ${result.errors.map(String).join('; ')}`);
      return result.playbook;
    });
}

export type PathStep = string | number;

/**
 * A copy of `body` with the value at `path` replaced (or removed, for `REMOVE`). Intermediate
 * objects must exist: a typo in a test path should fail loudly, not build a new branch.
 */
export const REMOVE = Symbol('remove');
export function patched(body: unknown, path: PathStep[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const step of path.slice(0, -1)) {
    const next = parent[step];
    if (typeof next !== 'object' || next === null) throw new Error(`test path ${path.join('.')} does not exist at ${String(step)}`);
    parent = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === REMOVE) delete parent[last];
  else parent[last] = value;
  return copy;
}

/** A minimal valid alert for tests that build their own. */
export function testAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    source: 'guardduty',
    id: 'finding-1',
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    title: 'SSH brute force',
    description: 'Someone is guessing passwords.',
    severity: 5,
    ...overrides,
  };
}

/** A normalised playbook built in code, for routing and new-case tests: titles straight from the alert. */
export function testPlaybook(name: string, match: Playbook['match'] = {}, caseOverrides: Partial<Playbook['case']> = {}): Playbook {
  return basePlaybook(name, ['Detection and Analysis'], {
    match,
    case: { title: '{{alert.title}}', description: '{{alert.description}}', ...caseOverrides },
  });
}

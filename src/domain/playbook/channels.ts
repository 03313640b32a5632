/**
 * Playbooks name notification channels; the worker's channels file defines them. The two are read by
 * different processes (server and worker), so a misspelt channel would only show when a gate opens
 * and its notice fails with UnknownChannel. This check, run by `phasegate playbooks validate` with a
 * channels file, finds it before a deploy.
 */
import type { ApprovalSpec, Playbook } from './playbook';
import { PlaybookError, quote } from './error';
import type { ParsedPlaybook } from './schema';

export function checkChannelReferences(parsed: readonly ParsedPlaybook[], known: readonly string[], source: string): PlaybookError[] {
  const have = new Set(known);
  const listed = known.map((name) => `"${name}"`).join(', ') || 'none';
  return parsed.flatMap(({ file, playbook }) =>
    references(playbook)
      .filter((ref) => !have.has(ref.channel))
      .map(
        (ref) =>
          new PlaybookError({
            file,
            path: ref.path,
            step: ref.step,
            rule: 'unknown-channel',
            message: `${ref.field} names ${quote(ref.channel)}, which ${source} does not define (it defines ${listed})`,
          }),
      ),
  );
}

interface ChannelReference {
  channel: string;
  path: string;
  step: string;
  field: string;
}

function references(playbook: Playbook): ChannelReference[] {
  const gates: Array<{ approval: ApprovalSpec; path: string; step: string }> = [];
  playbook.steps.forEach((step, index) => {
    if (step.approval) gates.push({ approval: step.approval, path: `steps[${index}].approval`, step: `step ${index + 1} ${quote(step.status, 60)}` });
  });
  if (playbook.close?.approval) gates.push({ approval: playbook.close.approval, path: 'close.approval', step: 'close' });
  return gates.flatMap(({ approval, path, step }) => [
    ...(approval.notify ?? []).map((channel, i) => ({ channel, step, path: `${path}.notify[${i}]`, field: `approval.notify[${i}]` })),
    ...(approval.escalation?.notify ?? []).map((channel, i) => ({ channel, step, path: `${path}.escalation.notify[${i}]`, field: `approval.escalation.notify[${i}]` })),
  ]);
}

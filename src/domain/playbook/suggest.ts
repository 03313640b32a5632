/**
 * "Did you mean …?" for values a person typed: AWS's own documentation spells the SIR statuses in
 * several ways the API refuses (an Oxford comma, a capital I in "Post-Incident"), and YAML keys get
 * snake_cased or misspelt. A suggestion turns a refusal into a one-character fix.
 */

/** The closest candidate, or undefined when nothing is plausibly what was meant. */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const wanted = simplify(input);
  if (wanted === '') return undefined;
  const exact = candidates.find((c) => simplify(c) === wanted);
  if (exact !== undefined) return exact;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, simplify(candidate));
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  // A third of the length (at least one edit, at most four) keeps "aprovers" → "approvers" while
  // refusing to call "type" a misspelling of "title".
  const tolerance = Math.min(4, Math.max(1, Math.floor(wanted.length / 3)));
  return best !== undefined && best.distance <= tolerance ? best.candidate : undefined;
}

/** ` (did you mean "x"?)`, or nothing: ready to append to a message. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const match = closestMatch(input, candidates);
  return match === undefined || match === input ? '' : ` (did you mean "${match}"?)`;
}

/** Case, punctuation, spacing and "&" versus "and" never change what a person meant here. */
function simplify(text: string): string {
  return text
    .toLowerCase()
    .replace(/&/g, 'and')
    .replace(/[^a-z0-9]/g, '');
}

function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

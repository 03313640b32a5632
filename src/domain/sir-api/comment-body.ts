/**
 * SIR's CommentBody is 1–12000 characters (Smithy @length counts Unicode code points). A longer body
 * would be refused with a ValidationException and the comment lost, so phasegate shortens it and says
 * so at the end; it never splits a surrogate pair.
 */
export const SIR_COMMENT_MAX_LENGTH = 12_000;

const TRUNCATED = ' … (shortened by phasegate to fit SIR\'s comment limit)';

export function capCommentBody(body: string, max = SIR_COMMENT_MAX_LENGTH): string {
  // Fast path: a string of at most `max` UTF-16 units has at most `max` code points.
  if (body.length <= max) return body;
  const points = Array.from(body);
  if (points.length <= max) return body;
  return points.slice(0, max - Array.from(TRUNCATED).length).join('') + TRUNCATED;
}

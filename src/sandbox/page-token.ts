/**
 * ListCases continuation tokens. The token names the last case of the page rather than an offset,
 * so cases created while a client pages through the list neither repeat nor go missing (new cases
 * are appended at the end of the creation order). Encoded so clients treat it as opaque, as the
 * model says they must.
 */
import { fieldValidationFailed } from './errors';

const VERSION = 1;

interface PageTokenPayload {
  v: typeof VERSION;
  after: string;
}

export function encodePageToken(afterCaseId: string): string {
  const payload: PageTokenPayload = { v: VERSION, after: afterCaseId };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The caseId the next page starts after; a token this sandbox did not issue is a ValidationException. */
export function decodePageToken(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageTokenPayload>;
    if (payload.v === VERSION && typeof payload.after === 'string') return payload.after;
  } catch {
    // fall through to the ValidationException below
  }
  throw invalidPageToken('it was not issued by ListCases');
}

export function invalidPageToken(why: string): Error {
  return fieldValidationFailed([
    { name: 'nextToken', message: `Value at 'nextToken' failed to satisfy constraint: Member must be a token returned by ListCases (${why})` },
  ]);
}

import type { ZodError } from 'zod';
import type { ErrorDetail } from './http-errors';

/** zod issues as `{path, message}` rows naming the field (`comment`, `limit`, …). */
export function zodDetails(error: ZodError, root?: string): ErrorDetail[] {
  return error.issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    const unknown = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return { path: path || '(body)', message: `${issue.message}${unknown}` };
  });
}

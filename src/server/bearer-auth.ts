import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-errors';
import type { User, UserDirectory } from '../config/users';

/**
 * The caller of the decisions and case routes, from `Authorization: Bearer <token>`. The approver is
 * always this user, never a name from the body, so holding the webhook secret does not let anyone
 * approve. Answers 401 itself and returns undefined when there is no valid token.
 */
export function authenticate(request: FastifyRequest, reply: FastifyReply, users: UserDirectory | undefined): User | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!users) {
    void sendError(reply, 401, 'no users are configured', [{ path: 'PHASEGATE_USERS', message: 'the server was started without a users file' }]);
    return undefined;
  }
  const user = match ? users.authenticate(match[1]!) : undefined;
  if (!user) {
    void reply.header('www-authenticate', 'Bearer realm="phasegate"');
    void sendError(reply, 401, header ? 'invalid bearer token' : 'missing bearer token', [
      { path: 'Authorization', message: 'expected "Bearer <token>" with a token listed in the users file' },
    ]);
    return undefined;
  }
  return user;
}

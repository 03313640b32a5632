/**
 * The codec server the Temporal Web UI and `temporal … --codec-endpoint` call to show encrypted
 * payloads in plain text (POST /codec/decode, /codec/encode; Temporal's remote codec protocol, request
 * shapes in codec-json.ts). It is behind the same bearer tokens as the decisions API (the CLI sends
 * `--codec-auth` verbatim as the Authorization header, so that is `"Bearer <token>"`), and answers
 * CORS only for the configured UI origins.
 */
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { ENCRYPTED_ENCODING } from '../../temporal/payload-encryption';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../bearer-auth';
import { codecRequestBody, payloadToJson, payloadsFromJson } from '../codec-json';
import { sendError } from '../http-errors';
import type { UserDirectory } from '../../config/users';
import { zodDetails } from '../zod-details';

export interface CodecRouteDeps {
  codec: PayloadCodec;
  users?: UserDirectory;
  /** Origins (scheme://host:port) of the Temporal Web UI allowed to call from a browser. */
  corsOrigins: string[];
  /**
   * `phasegate dev` only: the loopback Web UI of the dev server has no login and so cannot send a
   * token; browser requests from exactly these origins are let through. Never set in production.
   */
  devUiOrigins?: string[];
}

export function registerCodecRoutes(app: FastifyInstance, deps: CodecRouteDeps): void {
  const cors = (request: FastifyRequest, reply: FastifyReply): void => {
    const origin = request.headers.origin;
    if (!origin || !deps.corsOrigins.includes(origin)) return;
    void reply
      .header('access-control-allow-origin', origin)
      .header('vary', 'Origin')
      .header('access-control-allow-credentials', 'true')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, x-namespace')
      .header('access-control-max-age', '600');
  };

  for (const direction of ['encode', 'decode'] as const) {
    const url = `/codec/${direction}`;
    // Preflights carry no credentials by design; they only learn which origin may ask.
    app.options(url, async (request, reply) => {
      cors(request, reply);
      return reply.code(204).send();
    });
    app.post(url, async (request, reply) => {
      cors(request, reply);
      const origin = request.headers.origin;
      const fromDevUi = origin !== undefined && (deps.devUiOrigins ?? []).includes(origin);
      if (!fromDevUi && !authenticate(request, reply, deps.users)) return reply;
      const raw = request.body;
      let json: unknown;
      try {
        json = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : '');
      } catch (err) {
        return sendError(reply, 400, 'malformed JSON', [{ path: '(body)', message: (err as Error).message }]);
      }
      const body = codecRequestBody.safeParse(json);
      if (!body.success) return sendError(reply, 400, 'invalid codec request', zodDetails(body.error));
      const payloads = payloadsFromJson(body.data);
      try {
        const out = direction === 'encode' ? await deps.codec.encode(payloads) : await decodeSealed(deps.codec, payloads);
        return reply.send({ payloads: out.map(payloadToJson) });
      } catch (err) {
        // A payload sealed with an unknown key, or tampered with: the caller's input, not our fault.
        return sendError(reply, 400, `cannot ${direction} the payloads`, [{ path: 'payloads', message: (err as Error).message }]);
      }
    });
  }
}

/**
 * Shows what is there: only sealed payloads go through the codec (a worker's codec refuses the rest);
 * one that is not encrypted (a memo or a start someone wrote in plain text) comes back as it is, in its place.
 */
async function decodeSealed(codec: PayloadCodec, payloads: Payload[]): Promise<Payload[]> {
  const sealed = payloads.map((p) => Buffer.from(p?.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() === ENCRYPTED_ENCODING);
  const opened = await codec.decode(payloads.filter((_, i) => sealed[i]));
  let next = 0;
  return payloads.map((p, i) => (sealed[i] ? opened[next++]! : p));
}

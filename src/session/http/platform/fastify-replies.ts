import { failedSaveResponse, logFailedSave } from '../failed-save-response.js';
import type { IncomingMessage } from 'node:http';
import { sessionHandleOf } from './request-handle.js';
import { fastifyReplyHeaders, type FastifyReplyLike } from './response-headers.js';

type Done = (error: null, payload: unknown) => void;

/** The part of a Fastify request the session uses: `ip` follows Fastify's `trustProxy`. */
type FastifyRequestLike = Pick<IncomingMessage, 'headers' | 'socket'> & { raw: IncomingMessage };

/** The part of a Fastify instance the session uses. */
export interface FastifyHooks {
  addHook(
    name: 'onSend',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, payload: unknown, done: Done) => void,
  ): unknown;
}

/**
 * Commits each request's session in Fastify's `onSend` hook: after the handler, a guard's
 * rejection or an exception filter has produced the reply, before its headers are written, so
 * that the cookie and `Vary` go out with it, streamed replies included. A failed commit answers
 * in place of the reply, as on Express. Requests that never loaded their session wait for nothing.
 */
export function hookFastifyReplies(fastify: FastifyHooks): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const handle = sessionHandleOf(request);
    // Most requests never ask for their session: nothing to make for them.
    if (!handle?.holdsEnd) return done(null, payload);
    const headers = fastifyReplyHeaders(reply);
    const pending = handle.commitThrough(headers, request, reply.statusCode);
    if (!pending) return done(null, payload);
    pending.then(
      () => done(null, payload),
      (error: unknown) => {
        logFailedSave(error);
        if (headers.headersSent) return done(null, payload);
        // A stream the error replaces is never read: it is closed here.
        (payload as { destroy?: () => void } | null)?.destroy?.();
        done(null, failedSaveResponse(headers, error));
      },
    );
  });
}

/**
 * The headers and status of a response, as the session writes them: a Node.js `ServerResponse`
 * (Express's `res` is one), or {@link fastifyReplyHeaders}' view of a Fastify reply.
 */
export interface ResponseHeaders {
  readonly headersSent: boolean;
  statusCode: number;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | string[]): unknown;
  removeHeader(name: string): unknown;
}

/** The part of a Fastify reply the session uses. */
export interface FastifyReplyLike {
  readonly raw: { readonly headersSent: boolean };
  statusCode: number;
  getHeader(name: string): number | string | string[] | undefined;
  header(name: string, value: unknown): unknown;
  removeHeader(name: string): unknown;
}

/**
 * A Fastify reply as {@link ResponseHeaders}. Fastify writes the reply's own headers over those
 * of its Node.js response when it sends, so the session's must go to the reply: a `Set-Cookie`
 * set there by the app would otherwise hide the session cookie. `reply.header()` appends to a
 * `Set-Cookie` already there, hence the removal first; `getHeader()` reads both.
 */
export function fastifyReplyHeaders(reply: FastifyReplyLike): ResponseHeaders {
  return {
    get headersSent() {
      return reply.raw.headersSent;
    },
    get statusCode() {
      return reply.statusCode;
    },
    set statusCode(status: number) {
      reply.statusCode = status;
    },
    getHeader: (name) => reply.getHeader(name),
    setHeader: (name, value) => {
      reply.removeHeader(name);
      reply.header(name, value);
    },
    removeHeader: (name) => reply.removeHeader(name),
  };
}

/** What Nest hands a handler as its response, as {@link ResponseHeaders}: a Fastify reply, or a Node.js one. */
export function responseHeadersOf(res: object): ResponseHeaders {
  return isFastifyReply(res) ? fastifyReplyHeaders(res) : (res as ResponseHeaders);
}

/**
 * Nest's request on Fastify is Fastify's wrapper, whose `raw` is the Node.js request the session
 * middleware saw; on Express the request is that Node.js request.
 */
export function rawRequestOf(req: object): object | undefined {
  const raw: unknown = (req as { raw?: unknown }).raw;
  return typeof raw === 'object' && raw !== null ? raw : undefined;
}

function isFastifyReply(res: object): res is FastifyReplyLike {
  return typeof (res as { header?: unknown }).header === 'function' && rawRequestOf(res) !== undefined;
}

import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the demo reads of a request, alike on Express's and Fastify's. What it writes goes through
 * Nest's HTTP adapter (`HttpAdapterHost`), so that no route or filter knows which one runs.
 */
export interface DemoRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body?: unknown;
}

/** The response of either platform, only ever handed back to Nest's HTTP adapter. */
export type DemoResponse = object;

/** The path of a request URL, without its query. */
export const pathOf = (url: string): string => new URL(url, 'http://localhost').pathname;

import { HttpException, Logger } from '@nestjs/common';
import type { ResponseHeaders } from './platform/response-headers.js';

const logger = new Logger('SessionHandle');

// Headers that describe the body the handler produced, which the error replaces.
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-disposition',
  'content-range',
  'etag',
  'last-modified',
];

/**
 * Turns `res`, whose headers are not sent yet, into the answer to a save that failed with
 * `error`: its status, and the JSON body Nest's default exception filter would give it
 * (`{ statusCode, message, error }`). Headers the handler set, other than those describing its
 * body, stay. Returns the body to end the response with.
 */
export function failedSaveResponse(res: ResponseHeaders, error: unknown): string {
  const exception = error instanceof HttpException ? error : undefined;
  const status = exception?.getStatus() ?? 500;
  const answer = exception?.getResponse() ?? { statusCode: 500, message: 'Internal server error' };
  const body = JSON.stringify(typeof answer === 'object' ? answer : { statusCode: status, message: answer });
  for (const name of BODY_HEADERS) res.removeHeader(name);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  return body;
}

/** Logs a failed commit that is no HTTP answer (a bug, a store's own failure). */
export function logFailedSave(error: unknown): void {
  if (!(error instanceof HttpException)) logger.error(`Session commit failed: ${(error as Error)?.message ?? error}`);
}

import type { ServerResponse } from 'node:http';
import type { CommitsInFlight } from '../commits-in-flight.js';
import { failedSaveResponse, logFailedSave } from '../failed-save-response.js';

/**
 * Holds the end of `res` until `commit` (given the status) has settled, so that the session
 * policy applies to every response that loaded its session, whatever produced the response: a
 * handler, a guard's rejection, an exception filter, `@Res()`. A failed commit answers in place
 * of the handler's response while its headers are unsent (all but streamed responses); after
 * that it can only be logged. Until the end goes out the response counts in `inFlight`, which
 * shutdown waits for. On Fastify, whose headers are written before `end()`, the reply's `onSend`
 * hook commits first (see `hookFastifyReplies`); this is then only the count, and the commit of a
 * response written past Fastify.
 */
export function holdResponseEnd(
  res: ServerResponse,
  inFlight: CommitsInFlight,
  commit: (status: number) => Promise<void> | undefined,
): void {
  const end = res.end;
  inFlight.begin();
  const finish = (args: Parameters<typeof end>) => {
    try {
      end.apply(res, args);
    } finally {
      inFlight.end();
    }
  };
  res.end = ((...args: Parameters<typeof end>) => {
    res.end = end;
    const pending = commit(res.statusCode);
    if (!pending) {
      finish(args);
      return res;
    }
    pending.then(
      () => finish(args),
      (error: Error) => {
        logFailedSave(error);
        if (res.headersSent) return finish(args);
        const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        finish([failedSaveResponse(res, error), 'utf8', callback] as Parameters<typeof end>);
      },
    );
    return res;
  }) as typeof end;
}

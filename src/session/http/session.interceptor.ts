import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { responseHeadersOf } from './platform/response-headers.js';
import { sessionHandleOf } from './platform/request-handle.js';
import { USES_SESSION } from '../options/session.constants.js';

/**
 * Optional: commits the session when the handler returns, before Nest writes the response, so
 * that a failed save goes through the app's exception filters like any handler error. Apply it
 * with `@UseInterceptors(SessionInterceptor)` to a route, a controller, or the app.
 *
 * Without it every session is still saved before its response is sent (the handle holds the
 * response's end, and answers a failed save with the error's status and Nest's default JSON
 * body), which spares each request the observable pipeline Nest builds around interceptors.
 * The interceptor is worth its cost where that is not enough: streamed responses, whose headers
 * leave before their end (so a new session cookie could not follow), and apps whose exception
 * filters must shape every error.
 * @public
 */
@Injectable()
export class SessionInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    // Request and response read without switchToHttp(), which makes three closures on every call.
    const handle = context.getType() === 'http' ? sessionHandleOf(context.getArgByIndex(0)) : undefined;
    if (!handle) return next.handle();
    const handler = context.getHandler();
    const res = responseHeadersOf(context.getArgByIndex<object>(1));
    const status = (): number =>
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? res.statusCode;
    const run = () => savedAfter(next.handle(), () => handle.commitThrough(res, context.getArgByIndex(0), status()));
    return Reflect.getMetadata(USES_SESSION, handler) ? handle.load().then(run) : run();
  }
}

/**
 * `source`, each value held back until `commit()` (called once per value) has settled; a failed
 * commit becomes the error. Written out rather than with `mergeMap`, which costs several
 * subscriptions on every request of the routes it serves.
 */
function savedAfter<T>(source: Observable<T>, commit: () => Promise<void> | undefined): Observable<T> {
  return new Observable<T>((subscriber) => {
    let pending = 0;
    let completed = false;
    const settle = () => {
      pending -= 1;
      if (completed && pending === 0) subscriber.complete();
    };
    const subscription = source.subscribe({
      next(value) {
        let committing: Promise<void> | undefined;
        try {
          committing = commit();
        } catch (error) {
          return subscriber.error(error);
        }
        if (!committing) return subscriber.next(value);
        pending += 1;
        committing.then(
          () => {
            subscriber.next(value);
            settle();
          },
          (error: unknown) => subscriber.error(error),
        );
      },
      error: (error: unknown) => subscriber.error(error),
      complete() {
        completed = true;
        if (pending === 0) subscriber.complete();
      },
    });
    return () => subscription.unsubscribe();
  });
}

import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { mergeMap, type Observable } from 'rxjs';
import { sessionHandleOf } from './session-handle.js';
import { USES_SESSION } from './session.constants.js';

/**
 * Loads the session before handlers that take `@Session()`, and saves it when they return,
 * before the response is written (Django's `SessionMiddleware`, response half), so that a failed
 * save reaches the client as an error response through the app's exception filters.
 *
 * `@Session()` applies it to its handler by itself; it is not global, because any global
 * interceptor puts Nest's observable pipeline on every route, session or not. Responses that do
 * not come back through here — routes without `@Session()`, errors, a guard's rejection — are
 * committed by the handle when the response ends, with their final status. Apply it with
 * `@UseInterceptors(SessionInterceptor)` to a route that changes the session elsewhere (in a
 * guard, through `loadSession()`) and should answer a failed save with an error.
 */
@Injectable()
export class SessionInterceptor implements NestInterceptor {
  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const handle = context.getType() === 'http' ? sessionHandleOf(context.switchToHttp().getRequest()) : undefined;
    if (!handle) return next.handle();
    const handler = context.getHandler();
    if (Reflect.getMetadata(USES_SESSION, handler)) await handle.load();
    const res = context.switchToHttp().getResponse<ServerResponse>();
    return next.handle().pipe(
      mergeMap((body) => {
        const status: number = Reflect.getMetadata(HTTP_CODE_METADATA, handler) ?? res.statusCode;
        const pending = handle.commit(status);
        return pending ? pending.then(() => body) : [body];
      }),
    );
  }
}

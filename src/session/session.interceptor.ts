import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { from, mergeMap, type Observable } from 'rxjs';
import { sessionHandleOf } from './session-handle.js';
import { USES_SESSION } from './session.constants.js';

/**
 * Loads the session before handlers that take `@Session()`, and saves it when they return,
 * before the response is written (Django's `SessionMiddleware`, response half). Responses that
 * do not come back through here — errors, a guard's rejection — are committed by the handle when
 * the response ends, with their final status.
 */
@Injectable()
export class SessionInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handle = context.getType() === 'http' ? sessionHandleOf(context.switchToHttp().getRequest()) : undefined;
    if (!handle) return next.handle();
    const handler = context.getHandler();
    const res = context.switchToHttp().getResponse<ServerResponse>();
    const run = () =>
      next.handle().pipe(
        mergeMap((body) => {
          const status: number = Reflect.getMetadata(HTTP_CODE_METADATA, handler) ?? res.statusCode;
          const pending = handle.commit(status);
          return pending ? pending.then(() => body) : [body];
        }),
      );
    return Reflect.getMetadata(USES_SESSION, handler) ? from(handle.load()).pipe(mergeMap(run)) : run();
  }
}

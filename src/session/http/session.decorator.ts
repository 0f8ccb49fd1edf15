import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestSession } from '../dictionary/request-session.js';
import { sessionHandleOf } from './platform/request-handle.js';
import type { SessionHandle } from './session-handle.js';
import { USES_SESSION } from '../options/session.constants.js';

const SessionParam = createParamDecorator((_: unknown, context: ExecutionContext) => {
  // The request, read without switchToHttp(), which makes three closures on every call.
  const handle = handleFor(context.getArgByIndex(0));
  // Nest awaits a promise here; SessionInterceptor, where applied, has loaded the session already.
  return handle.loaded ?? handle.load();
});

/**
 * Hands the handler this request's session, loaded; it is saved before the response goes out.
 * Import it from this library, not from `@nestjs/common` (whose `@Session()` reads
 * express-session's `req.session`).
 *
 * @example
 * ```ts
 * @Get('visits')
 * count(@Session() session: RequestSession<{ visits: number }>) {
 *   session.set('visits', session.get('visits', 0) + 1);
 * }
 * ```
 * @public
 */
export function Session(): ParameterDecorator {
  return (target, propertyKey, index) => {
    SessionParam()(target, propertyKey, index);
    if (propertyKey !== undefined) {
      const handler = (target as Record<string | symbol, object>)[propertyKey];
      Reflect.defineMetadata(USES_SESSION, true, handler);
    }
  };
}

/**
 * The request's session, loaded on first use: for guards, interceptors and filters, which run
 * where `@Session()` cannot.
 *
 * @example
 * ```ts
 * async canActivate(context: ExecutionContext) {
 *   return (await loadSession(context)).get('userId') !== undefined;
 * }
 * ```
 * @public
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped sessions read as any, as express-session's do
export function loadSession<T extends object = Record<string, any>>(
  contextOrRequest: ExecutionContext | object,
): Promise<RequestSession<T>> {
  const request = isExecutionContext(contextOrRequest)
    ? contextOrRequest.switchToHttp().getRequest<object>()
    : contextOrRequest;
  return handleFor(request).load() as unknown as Promise<RequestSession<T>>;
}

function handleFor(request: object): SessionHandle {
  const handle = sessionHandleOf(request);
  if (!handle) {
    throw new Error(
      'No session on this request: import SessionModule.forRoot() in the application module ' +
        '(its middleware attaches the session to every HTTP request).',
    );
  }
  return handle;
}

function isExecutionContext(value: object): value is ExecutionContext {
  return typeof (value as ExecutionContext).switchToHttp === 'function';
}

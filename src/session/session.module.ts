import { Global, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { SessionCleaner } from './session-cleaner.js';
import { SessionEngine } from './session-engine.js';
import { SessionsService } from './sessions.service.js';
import { SessionMiddleware } from './session.middleware.js';
import { SESSION_MODULE_OPTIONS, SessionConfigurableModule } from './session.module-definition.js';
import {
  resolveSessionOptions,
  SessionConfigError,
  type ResolvedSessionOptions,
  type SessionModuleOptions,
} from './session-options.js';
import { SessionStore } from './session-store.interface.js';
import { TypeOrmSessionStore } from './typeorm-session.store.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';

/**
 * Django's session framework for Nest: every HTTP request gets a lazy session, handlers take it
 * with `@Session()`, guards with `loadSession()`, and it is saved as Django saves it.
 *
 * `SessionModule.forRoot(options)` or `SessionModule.forRootAsync({ useFactory, inject })`, once,
 * in the application module. Without a `store`, sessions go to the `session` table of the
 * application's default TypeORM data source.
 */
@Global()
@Module({
  providers: [
    {
      provide: RESOLVED_SESSION_OPTIONS,
      inject: [SESSION_MODULE_OPTIONS],
      useFactory: (options: SessionModuleOptions) => resolveSessionOptions(options),
    },
    {
      provide: SessionStore,
      inject: [RESOLVED_SESSION_OPTIONS, { token: getDataSourceToken(), optional: true }],
      useFactory: (options: ResolvedSessionOptions, dataSource?: DataSource) => {
        if (options.store) return options.store;
        if (!dataSource) {
          throw new SessionConfigError(
            'SessionModule: no store. Import TypeOrmModule.forRoot() with SessionEntity, or pass ' +
              '`store` (e.g. new TypeOrmSessionStore(dataSource) for a named data source).',
          );
        }
        return new TypeOrmSessionStore(dataSource);
      },
    },
    SessionEngine,
    SessionsService,
    SessionCleaner,
    SessionMiddleware,
  ],
  exports: [RESOLVED_SESSION_OPTIONS, SessionStore, SessionEngine, SessionsService],
})
export class SessionModule extends SessionConfigurableModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly middleware: SessionMiddleware,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() === 'express') {
      // Mounted on Express itself, ahead of every Nest middleware, so that all of them can load
      // the session, and so that requests skip the wrapper Nest puts around each middleware
      // (route matching, an async proxy, a WeakSet entry): about 20 µs of CPU a request.
      const middleware = this.middleware;
      adapter.use((req: IncomingMessage, res: ServerResponse, next: () => void) => middleware.use(req, res, next));
      return;
    }
    consumer.apply(SessionMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

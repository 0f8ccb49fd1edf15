import { Global, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { SessionCleaner } from './session-cleaner.js';
import { SessionEngine } from './session-engine.js';
import { SessionShutdown } from './session-shutdown.js';
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
import { statementTimeoutFor } from './typeorm/store-options.js';
import { TypeOrmSessionStore } from './typeorm/typeorm-session.store.js';
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
        return new TypeOrmSessionStore(dataSource, { statementTimeout: statementTimeoutFor(options.storeTimeout) });
      },
    },
    SessionEngine,
    SessionsService,
    SessionCleaner,
    SessionShutdown,
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
    const express = adapter?.getType() === 'express' ? adapter.getInstance<ExpressEntry>() : undefined;
    if (typeof express?.handle === 'function') {
      // Every request enters an Express app through its `handle`; the session handle is given
      // there, ahead of every middleware (all of them can load the session), whichever server
      // serves the app, and without a router layer of its own. Nest's wrapper around each of its
      // middleware (route matching, an async proxy, a WeakSet entry) cost about 20 µs of CPU a
      // request, and even a plain Express layer costs about 5.
      const middleware = this.middleware;
      const handle = express.handle;
      express.handle = function (this: unknown, req, res, next) {
        middleware.use(req, res, () => handle.call(this, req, res, next));
      };
      return;
    }
    consumer.apply(SessionMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

/** The one method of an Express app that every request goes through. */
interface ExpressEntry {
  handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
}

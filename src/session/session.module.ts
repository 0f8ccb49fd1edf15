import { Global, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CommitsInFlight } from './http/commits-in-flight.js';
import { ExpressSessionMiddleware } from './http/express/express-session.middleware.js';
import { SessionCleaner } from './sessions/session-cleaner.js';
import { SessionCookie } from './http/session-cookie.js';
import { SessionEngine } from './engine/session-engine.js';
import { attachSessionMiddleware } from './http/platform/session-mount.js';
import { codecProvider, optionsProvider, storeProvider } from './session.providers.js';
import { SessionRows } from './rows/session-rows.js';
import { SessionShutdown } from './http/session-shutdown.js';
import { SessionStore } from './stores/session-store.interface.js';
import { SessionStoreCheck } from './stores/session-store-check.js';
import { SessionWriter } from './writer/session-writer.js';
import { SessionsService } from './sessions/sessions.service.js';
import { SessionMiddleware } from './http/session.middleware.js';
import { SessionConfigurableModule } from './session.module-definition.js';
import { RESOLVED_SESSION_OPTIONS } from './options/session.constants.js';
import { UserSessions } from './sessions/user-sessions.js';

/**
 * Django's session framework for Nest: every HTTP request gets a lazy session, handlers take it
 * with `@Session()`, guards with `loadSession()`, and it is saved as Django saves it.
 *
 * `SessionModule.forRoot(options)` or `SessionModule.forRootAsync({ useFactory, inject })`, once,
 * in the application module. Without a `store`, sessions go to the `session` table of the
 * application's default TypeORM data source.
 * @public
 */
@Global()
@Module({
  providers: [
    optionsProvider,
    storeProvider,
    codecProvider,
    SessionCookie,
    CommitsInFlight,
    SessionRows,
    SessionWriter,
    SessionEngine,
    UserSessions,
    SessionsService,
    SessionCleaner,
    SessionShutdown,
    SessionStoreCheck,
    SessionMiddleware,
    ExpressSessionMiddleware,
  ],
  exports: [RESOLVED_SESSION_OPTIONS, SessionStore, SessionsService, ExpressSessionMiddleware],
})
export class SessionModule extends SessionConfigurableModule implements NestModule {
  constructor(
    protected readonly adapterHost: HttpAdapterHost,
    protected readonly middleware: SessionMiddleware,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    attachSessionMiddleware(consumer, this.adapterHost, this.middleware);
  }
}

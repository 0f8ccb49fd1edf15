import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import flash from 'connect-flash';
import type { RequestHandler } from 'express';
import { fileURLToPath } from 'node:url';
import passport from 'passport';
import { ExpressSessionMiddleware } from '../session/index.js';
import { BenchController } from './bench.controller.js';
import { BlogConfigurableModule } from './blog.module-definition.js';
import { CsrfGuard, CsrfTokens, SessionCsrfGuard } from './csrf.js';
import { LousyLoginController } from './lousy-login.controller.js';
import { LocalStrategy } from './passport/local.strategy.js';
import { PassportLoginController } from './passport/passport-login.controller.js';
import { UserSerializer } from './passport/user.serializer.js';
import { SessionViewsController } from './session-views.controller.js';
import { SessionsPageController } from './sessions-page.controller.js';

/** Where the demo's Handlebars templates are (copied beside the build as assets by `nest build`, see nest-cli.json). */
export const BLOG_VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));

/**
 * The demo from the tutorial: the session views, the lousy login and the bench routes, and a
 * login through Passport beside them. Uses the session library only through its public entry
 * point.
 */
@Module({
  // keepSessionInfo: the login keeps the visitor's data under the new key, as Django's login() does.
  imports: [PassportModule.register({ session: true, keepSessionInfo: true })],
  controllers: [
    SessionViewsController,
    LousyLoginController,
    PassportLoginController,
    SessionsPageController,
    BenchController,
  ],
  providers: [CsrfTokens, CsrfGuard, SessionCsrfGuard, LocalStrategy, UserSerializer],
})
export class BlogModule extends BlogConfigurableModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // passport's session strategy: the logged-in user, deserialized from req.session on each request.
    const restoreUser = passport.session() as RequestHandler;
    // The express-session view of the session, for passport and connect-flash: on /passport/ only.
    consumer
      .apply(ExpressSessionMiddleware, passport.initialize(), restoreUser, flash())
      .forRoutes(PassportLoginController);
  }
}

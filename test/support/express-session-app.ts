import {
  Controller,
  Get,
  HttpException,
  Injectable,
  Module,
  Post,
  Query,
  Req,
  Res,
  UnauthorizedException,
  UseGuards,
  type ExecutionContext,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { AuthGuard, PassportModule, PassportSerializer, PassportStrategy } from '@nestjs/passport';
import flash from 'connect-flash';
import type { Request, Response } from 'express';
import passport from 'passport';
import { Strategy } from 'passport-local';
import {
  ExpressSessionMiddleware,
  RequestSession,
  Session,
  type SessionModuleOptions,
} from '../../src/session/index.js';
import type { TestBackend } from './databases.js';
import { createTestApp, type TestApp, type TestPlatform } from './test-app.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : JSON.stringify(error));

/** Users the strategy knows; `gone` logs in but no longer deserializes. */
const USERS = new Map([
  ['root', 'pass'],
  ['gone', 'pass'],
]);

@Injectable()
class LocalStrategy extends PassportStrategy(Strategy) {
  validate(username: string, password: string): { name: string } | false {
    return USERS.get(username) === password ? { name: username } : false;
  }
}

@Injectable()
class NameSerializer extends PassportSerializer {
  serializeUser(user: { name: string }, done: (error: unknown, id?: string) => void): void {
    done(null, user.name);
  }

  deserializeUser(name: string, done: (error: unknown, user?: { name: string } | false) => void): void {
    done(null, name === 'gone' ? false : { name });
  }
}

/** Logs the user in through passport's `req.logIn` (session rotated) once the strategy said yes. */
@Injectable()
class LoginGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const ok = (await super.canActivate(context)) as boolean;
    await super.logIn(context.switchToHttp().getRequest());
    return ok;
  }

  override handleRequest<U>(error: unknown, user: U): U {
    if (error || !user) throw new UnauthorizedException();
    return user;
  }
}

/** Routes that use `req.session` as express-session middleware and handlers do. */
@Controller('compat')
class CompatController {
  @Get('set')
  set(@Req() req: Request, @Query('k') key: string, @Query('v') value: string) {
    (req.session as unknown as Record<string, unknown>)[key] = value;
    return 'ok';
  }

  @Get('read')
  read(@Req() req: Request) {
    return { ...req.session };
  }

  @Get('push')
  push(@Req() req: Request, @Query('item') item: string) {
    const session = req.session as unknown as { list?: string[] };
    if (session.list) session.list.push(item);
    else session.list = [item];
    return session.list;
  }

  @Get('delete')
  remove(@Req() req: Request, @Query('k') key: string) {
    delete (req.session as unknown as Record<string, unknown>)[key];
    return 'deleted';
  }

  @Get('shape')
  shape(@Req() req: Request) {
    const session = req.session;
    const inherited: string[] = [];
    for (const key in session) inherited.push(key);
    return {
      keys: Object.keys(session),
      forIn: inherited,
      json: JSON.stringify(session),
      id: session.id,
      sessionID: req.sessionID,
      cookie: session.cookie.toJSON?.() ?? null,
      maxAge: session.cookie.maxAge,
      members: ['regenerate', 'save', 'destroy', 'reload', 'touch'].map(
        (name) => typeof (session as unknown as Record<string, unknown>)[name],
      ),
      hasOwn: Object.prototype.hasOwnProperty.call(session, 'color'),
    };
  }

  /** `@Session()` and `req.session` on one request: one session. */
  @Get('both')
  both(@Session() session: RequestSession, @Req() req: Request) {
    session.set('viaDecorator', 1);
    (req.session as unknown as Record<string, unknown>).viaProperty = 2;
    return { decorator: session.toJSON(), property: { ...req.session }, same: session.sessionKey === req.session.id };
  }

  @Get('regenerate')
  regenerate(@Req() req: Request, @Res() res: Response) {
    const old = req.session;
    const oldId = old.id;
    old.regenerate((error) => {
      if (error) return res.status(500).send({ error: messageOf(error) });
      const fresh = req.session as unknown as Record<string, unknown>;
      fresh.copied = (old as unknown as Record<string, unknown>).color ?? null;
      res.send({ oldId, newId: req.session.id, oldStillReads: { ...old }, fresh: { ...req.session } });
    });
  }

  @Get('regenerate-empty')
  regenerateEmpty(@Req() req: Request, @Res() res: Response) {
    req.session.regenerate(() => res.send('regenerated'));
  }

  /** Saves, then (`then=change`) changes one more key before the response. */
  @Get('save')
  save(@Req() req: Request, @Res() res: Response, @Query('then') then?: string) {
    (req.session as unknown as Record<string, unknown>).saved = 'now';
    req.session.save((error) => {
      if (error) return res.status(500).send(messageOf(error));
      if (then === 'change') (req.session as unknown as Record<string, unknown>).after = 'later';
      // A value JSON cannot store, put in place after the save: the end of the request refuses it.
      if (then === 'bad') ((req.session as unknown as Record<string, { at?: unknown }>).nested ??= {}).at = new Date();
      res.send('saved');
    });
  }

  @Get('destroy')
  destroy(@Req() req: Request, @Res() res: Response) {
    req.session.destroy((error) => res.send(error ? messageOf(error) : 'destroyed'));
  }

  /** Changes a key without saving, then reloads: the change is gone, the row's data is back. */
  @Get('reload')
  reload(@Req() req: Request, @Res() res: Response) {
    (req.session as unknown as Record<string, unknown>).color = 'unsaved';
    req.session.reload((error) => res.send(error ? { error: messageOf(error) } : { ...req.session }));
  }

  @Get('touch')
  touch(@Req() req: Request) {
    req.session.touch();
    return 'touched';
  }

  @Get('remember')
  remember(@Req() req: Request, @Query('ms') ms: string) {
    (req.session as unknown as Record<string, unknown>).remembered = true;
    req.session.cookie.maxAge = Number(ms);
    return 'remembered';
  }

  @Get('bad-value')
  badValue(@Req() req: Request, @Query('kind') kind: string) {
    const values: Record<string, () => unknown> = {
      function: () => () => 1,
      bigint: () => BigInt(1),
      date: () => new Date(),
      cycle: () => {
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        return cycle;
      },
    };
    (req.session as unknown as Record<string, unknown>)[`bad_${kind}`] = values[kind]();
    return 'assigned';
  }

  @Get('fail')
  fail(@Req() req: Request) {
    (req.session as unknown as Record<string, unknown>).failed = 'yes';
    throw new HttpException('failed', 500);
  }

  @Get('untouched')
  untouched() {
    return 'untouched';
  }

  @Get('flash')
  flashSet(@Req() req: Request, @Query('m') message: string) {
    req.flash('info', message);
    return 'flashed';
  }

  @Get('flash/read')
  flashRead(@Req() req: Request) {
    return { info: req.flash('info') };
  }

  @Post('login')
  @UseGuards(LoginGuard)
  login(@Req() req: Request) {
    return { user: req.user, key: req.session.id };
  }

  @Post('logout')
  logout(@Req() req: Request, @Res() res: Response, @Query('keep') keep?: string) {
    req.logout({ keepSessionInfo: keep === 'true' }, (error) =>
      error ? res.status(500).send(messageOf(error)) : res.send('logged out'),
    );
  }

  @Get('me')
  me(@Req() req: Request) {
    if (!req.user) throw new UnauthorizedException();
    return { user: req.user, session: { ...req.session } };
  }
}

/** Routes the compatible session is not applied to: lazy, as everywhere else. */
@Controller('lazy')
class LazyController {
  @Get('untouched')
  untouched(@Req() req: Request) {
    return { hasSession: 'session' in req };
  }

  @Get('read')
  read(@Session() session: RequestSession) {
    return session.toJSON();
  }
}

function compatModule(keepSessionInfo: boolean) {
  @Module({
    imports: [PassportModule.register({ session: true, keepSessionInfo })],
    providers: [LocalStrategy, NameSerializer],
    controllers: [CompatController, LazyController],
  })
  class CompatModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer
        .apply(ExpressSessionMiddleware, passport.initialize(), passport.session(), flash())
        .forRoutes(CompatController);
    }
  }
  return CompatModule;
}

/** A test app with the compatible `req.session`, passport and connect-flash on `/compat/`. */
export function createExpressSessionApp(
  db: TestBackend,
  options: { keepSessionInfo?: boolean; session?: SessionModuleOptions; platform?: TestPlatform } = {},
): Promise<TestApp> {
  return createTestApp(db, [], options.session ?? {}, {
    imports: [compatModule(options.keepSessionInfo ?? false)],
    platform: options.platform,
  });
}

import {
  BadRequestException,
  Catch,
  Controller,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  HttpException,
  Injectable,
  Query,
  Redirect,
  Req,
  Res,
  StreamableFile,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import { Readable } from 'node:stream';
import { loadSession, RequestSession, Session, SessionInterceptor } from '../../src/session/index.js';

/** The shape of the probe's session data. */
interface ProbeData {
  id: number;
  name: string;
  cart: string[];
  flag: boolean;
  guardWasHere: boolean;
  n: number;
  [key: string]: unknown;
}
type ProbeSession = RequestSession<ProbeData>;
type TracedRequest = Request & { trace?: string[] };
/** What the probe's filters and `@Res()` route use of a response: Express's and Fastify's have it alike. */
interface Reply {
  status(code: number): Reply;
  send(body: unknown): unknown;
}

/** What a stage saw of the session, for the lifecycle tests. */
async function trace(req: TracedRequest, stage: string): Promise<void> {
  const session = await loadSession<ProbeData>(req);
  (req.trace ??= []).push(`${stage}:n=${session.get('n') ?? '-'}`);
}

@Injectable()
class NeedsFlagGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await loadSession<ProbeData>(context);
    if (session.get('flag') !== true) throw new ForbiddenException('no flag');
    return true;
  }
}

@Injectable()
class WritingGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    (await loadSession<ProbeData>(context)).set('guardWasHere', true);
    return false;
  }
}

@Injectable()
class TraceGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    await trace(context.switchToHttp().getRequest(), 'guard');
    return true;
  }
}

@Injectable()
class TraceInterceptor implements NestInterceptor {
  async intercept(context: ExecutionContext, next: CallHandler) {
    await trace(context.switchToHttp().getRequest(), 'interceptor');
    return next.handle();
  }
}

@Catch(HttpException)
class TraceFilter implements ExceptionFilter {
  async catch(exception: HttpException, host: ArgumentsHost) {
    const req = host.switchToHttp().getRequest<TracedRequest>();
    await trace(req, 'filter');
    host.switchToHttp().getResponse<Reply>().status(exception.getStatus()).send({ trace: req.trace });
  }
}

/** Answers HTTP errors in a shape of its own, to show which errors reach the app's filters. */
@Catch(HttpException)
class ShapingFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost) {
    host.switchToHttp().getResponse<Reply>().status(exception.getStatus()).send({ shapedBy: 'filter' });
  }
}

/** Routes that exercise one session behaviour each. */
@Controller()
export class ProbeController {
  @Get('untouched')
  untouched() {
    return 'untouched';
  }

  @Get('read')
  read(@Session() session: ProbeSession) {
    return session.toJSON();
  }

  @Get('set')
  set(@Session() session: ProbeSession, @Query('k') key: string, @Query('v') value: string) {
    session.set(key, value);
    return 'ok';
  }

  /** `set`, with a cookie and a `Vary` of the app's own (on Fastify, the reply's headers). */
  @Get('set-with-headers')
  @Header('Set-Cookie', 'theme=dark; Path=/')
  @Header('Vary', 'Accept')
  setWithHeaders(@Session() session: ProbeSession, @Query('k') key: string, @Query('v') value: string) {
    session.set(key, value);
    return 'ok';
  }

  /** `set`, answered with a stream. */
  @Get('set-streamed')
  setStreamed(@Session() session: ProbeSession, @Query('k') key: string, @Query('v') value: string) {
    session.set(key, value);
    return new StreamableFile(Readable.from(['streamed']));
  }

  /** `set`, with an exception filter of its own. */
  @Get('set-with-filter')
  @UseFilters(ShapingFilter)
  setWithFilter(@Session() session: ProbeSession, @Query('k') key: string, @Query('v') value: string) {
    session.set(key, value);
    return 'ok';
  }

  /** `set`, saved by SessionInterceptor, with an exception filter of its own. */
  @Get('set-intercepted')
  @UseInterceptors(SessionInterceptor)
  @UseFilters(ShapingFilter)
  setIntercepted(@Session() session: ProbeSession, @Query('k') key: string, @Query('v') value: string) {
    session.set(key, value);
    return 'ok';
  }

  /** Loads the session, waits `ms`, then sets `k` — a request that overlaps others. */
  @Get('slow-set')
  async slowSet(
    @Session() session: ProbeSession,
    @Query('k') key: string,
    @Query('v') value: string,
    @Query('ms') ms: string,
  ) {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    session.set(key, value);
    return 'ok';
  }

  /** Reads the session, waits `ms`, and changes nothing. */
  @Get('slow-read')
  async slowRead(@Session() session: ProbeSession, @Query('ms') ms: string) {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return session.toJSON();
  }

  /** A login: a new key, bound to `user`. */
  @Get('bind')
  bind(@Session() session: ProbeSession, @Query('user') user: string) {
    session.cycleKey();
    session.bindUser(user);
    return session.sessionKey;
  }

  @Get('save')
  save(@Session() session: ProbeSession) {
    session.set('id', 1).set('name', 'root');
    return 'saved';
  }

  @Get('flag')
  flag(@Session() session: ProbeSession) {
    session.set('flag', true);
    return 'flagged';
  }

  @Get('delete-keys')
  deleteKeys(@Session() session: ProbeSession) {
    session.delete('id');
    session.delete('name');
    return 'deleted';
  }

  @Get('flush')
  flush(@Session() session: ProbeSession) {
    session.flush();
    return 'flushed';
  }

  @Get('cycle')
  cycle(@Session() session: ProbeSession) {
    session.cycleKey();
    return session.sessionKey;
  }

  @Get('cart/add')
  addToCart(@Session() session: ProbeSession, @Query('item') item: string) {
    const cart = session.get('cart');
    if (cart)
      cart.push(item); // changed in place: no set(), no modified flag
    else session.set('cart', [item]);
    return 'added';
  }

  @Get('cart')
  cart(@Session() session: ProbeSession) {
    return { cart: session.get('cart') ?? [] };
  }

  @Get('mark-modified')
  markModified(@Session() session: ProbeSession) {
    session.modified = true;
    return 'marked';
  }

  @Get('expiry')
  expiry(@Session() session: ProbeSession, @Query('seconds') seconds?: string, @Query('date') date?: string) {
    session.setExpiry(date ? new Date(date) : seconds === 'null' ? null : Number(seconds));
    session.set('n', 1);
    return { age: session.getExpiryAge(), browserClose: session.getExpireAtBrowserClose() };
  }

  @Get('fail-after-write')
  failAfterWrite(@Session() session: ProbeSession) {
    session.set('n', 1);
    throw new Error('the handler broke');
  }

  @Get('http-error-after-write')
  httpErrorAfterWrite(@Session() session: ProbeSession) {
    session.set('n', 1);
    throw new BadRequestException('refused after writing');
  }

  @Get('code-503')
  @HttpCode(503)
  code503(@Session() session: ProbeSession) {
    session.set('n', 1);
    return 'unavailable';
  }

  @Get('redirect-after-write')
  @Redirect('/read', 302)
  redirectAfterWrite(@Session() session: ProbeSession) {
    session.set('n', 1);
  }

  @Get('raw-response')
  rawResponse(@Session() session: ProbeSession, @Res() res: Reply) {
    session.set('n', 1);
    res.send('raw');
  }

  @Get('bad-value')
  badValue(@Session() session: ProbeSession) {
    session.set('n', (() => 1) as unknown as number);
    return 'unreachable';
  }

  /** Changes a value in place to one JSON cannot store (`kind`): the save must refuse it as `set()` would. */
  @Get('bad-in-place')
  badInPlace(@Session() session: ProbeSession, @Query('kind') kind: string) {
    const obj = session.setDefault('obj', {}) as Record<string, unknown>;
    const list = session.setDefault('list', []) as unknown[];
    const changes: Record<string, () => void> = {
      date: () => (obj.x = new Date()),
      map: () => list.push(new Map()),
      nan: () => (obj.n = NaN),
      function: () => (obj.f = () => 1),
      undefined: () => list.push(undefined),
    };
    changes[kind]();
    return 'changed';
  }

  @Get('guarded')
  @UseGuards(NeedsFlagGuard)
  guarded() {
    return 'welcome';
  }

  @Get('guard-writes')
  @UseGuards(WritingGuard)
  guardWrites() {
    return 'unreachable';
  }

  @Get('stages')
  @UseGuards(TraceGuard)
  @UseInterceptors(TraceInterceptor)
  async stages(@Session() session: ProbeSession, @Req() req: TracedRequest) {
    await trace(req, 'handler');
    session.set('n', (session.get('n') ?? 0) + 1);
    return { trace: req.trace };
  }

  @Get('stages-error')
  @UseGuards(TraceGuard)
  @UseInterceptors(TraceInterceptor)
  @UseFilters(TraceFilter)
  async stagesError(@Session() session: ProbeSession, @Req() req: TracedRequest) {
    await trace(req, 'handler');
    session.set('n', (session.get('n') ?? 0) + 1);
    throw new BadRequestException('after the handler wrote');
  }
}

// A CommonJS module: `tsc` compiles each import below to a `require()`, and Node loads the ESM
// packages (nest-sessions, Nest itself) through require(esm).
import 'reflect-metadata';
import {
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  Injectable,
  Module,
  Post,
  Query,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  loadSession,
  RedisSessionStore,
  RequestSession,
  Session,
  SessionEntity,
  sessionMigrations,
  SessionModule,
} from 'nest-sessions';
import { createClient } from 'redis';

/** The shape of this app's session data. */
interface CartData {
  cart: string[];
  user?: string;
}
type CartSession = RequestSession<CartData>;

/** Lets in requests whose session names a user; says no otherwise. */
@Injectable()
class SignedIn implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await loadSession<CartData>(context);
    if (session.get('user') === undefined) throw new ForbiddenException('sign in first');
    return true;
  }
}

@Controller()
class CartController {
  @Get('cart/add')
  add(@Session() session: CartSession, @Query('item') item: string) {
    session.set('cart', [...session.get('cart', []), item]);
    return { cart: session.get('cart') };
  }

  @Get('cart')
  cart(@Session() session: CartSession) {
    return { cart: session.get('cart', []), user: session.get('user') ?? null };
  }

  @Post('login')
  @HttpCode(200)
  login(@Session() session: CartSession, @Query('user') user: string) {
    session.cycleKey();
    session.set('user', user);
    return { user };
  }

  @Post('logout')
  @HttpCode(200)
  logout(@Session() session: CartSession) {
    session.flush();
    return { user: null };
  }

  @Get('account')
  @UseGuards(SignedIn)
  account(@Session() session: CartSession) {
    return { user: session.get('user'), items: session.get('cart', []).length };
  }
}

/** Never called: it shows that the declared shape is enforced here too. */
export function wrongTypeDoesNotCompile(session: CartSession): void {
  // @ts-expect-error `cart` holds strings
  session.set('cart', [1]);
}

/**
 * The data source of `url` (`sqlite:path/to/file`, or `mysql://…` for MySQL/MariaDB), with the
 * package's entity and migrations.
 */
function database(url: string): TypeOrmModuleOptions {
  const session = { entities: [SessionEntity], migrations: sessionMigrations, migrationsRun: true };
  const file = /^sqlite:(.+)$/.exec(url)?.[1];
  if (file) return { type: 'better-sqlite3', database: file, ...session };
  if (/^(mysql|mariadb):\/\//.test(url)) return { type: 'mysql', url, timezone: 'Z', ...session };
  if (/^postgres(ql)?:\/\//.test(url)) return { type: 'postgres', url, ...session };
  throw new Error(`DATABASE_URL: expected sqlite:path/to/file, mysql://… or postgres://…, got ${url}`);
}

/** A connected node-redis client of `url`; CommonJS has no top-level await, so the factory connects it. */
async function connectedRedis(url: string) {
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', (error: Error) => console.warn(`Redis: ${error.message}`));
  await client.connect();
  return client;
}

@Module({
  imports: [
    TypeOrmModule.forRoot(database(process.env.DATABASE_URL ?? 'sqlite::memory:')),
    SessionModule.forRootAsync({
      useFactory: async () => ({
        secret: process.env.SESSION_SECRET,
        // REDIS_URL set: the sessions in Redis alone, under REDIS_PREFIX.
        store: process.env.REDIS_URL
          ? new RedisSessionStore(await connectedRedis(process.env.REDIS_URL), { prefix: process.env.REDIS_PREFIX })
          : undefined,
      }),
    }),
  ],
  controllers: [CartController],
  providers: [SignedIn],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  console.log(`Listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

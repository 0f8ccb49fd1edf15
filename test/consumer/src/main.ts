import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Query,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { loadSession, RequestSession, Session, SessionEntity, sessionMigrations, SessionModule } from 'nest-sessions';
import { MapStore } from './map-store.js';
import { RedisSessionsModule } from './redis-sessions.module.js';

/** The shape of this app's session data. */
interface VisitData {
  visits: number;
  user?: string;
}
type VisitSession = RequestSession<VisitData>;

/** Lets in requests whose session names a user. */
@Injectable()
class LoggedIn implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    return (await loadSession<VisitData>(context)).get('user') !== undefined;
  }
}

@Controller()
class VisitController {
  @Get('visit')
  visit(@Session() session: VisitSession) {
    const visits = session.get('visits', 0) + 1;
    session.set('visits', visits);
    return { visits };
  }

  @Get('login')
  login(@Session() session: VisitSession, @Query('user') user: string) {
    session.set('user', user);
    session.cycleKey();
    return { user };
  }

  @Get('secret')
  @UseGuards(LoggedIn)
  secret(@Session() session: VisitSession) {
    return { user: session.get('user') };
  }
}

/** Never called: it shows that the declared shape is enforced. */
export function wrongTypeDoesNotCompile(session: VisitSession): void {
  // @ts-expect-error `visits` is declared a number
  session.set('visits', 'many');
}

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: process.env.DATABASE_FILE ?? ':memory:',
      entities: [SessionEntity],
      migrations: sessionMigrations,
      migrationsRun: true,
    }),
    // The README's Redis module (SESSION_STORE and REDIS_URL), or the table, or a store of its own.
    process.env.CONSUMER_STORE === 'redis'
      ? RedisSessionsModule
      : SessionModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            secret: config.getOrThrow<string>('SESSION_SECRET'),
            store: config.get<string>('CONSUMER_STORE') === 'own' ? new MapStore() : undefined,
          }),
        }),
  ],
  controllers: [VisitController],
  providers: [LoggedIn],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
console.log(`Listening on ${await app.getUrl()}`);

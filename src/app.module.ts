import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptionsFromUrl } from './database/database-url.js';
import { SessionModule } from './session/index.js';

/** The demo server: sessions on the database `DATABASE_URL` names. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      useFactory: () => ({
        ...dataSourceOptionsFromUrl(process.env.DATABASE_URL),
        // The server brings a fresh database up to date at start.
        migrationsRun: true,
        retryAttempts: 1,
        retryDelay: 500,
      }),
    }),
    SessionModule.forRootAsync({
      useFactory: () => ({ secret: process.env.SESSION_SECRET }),
    }),
  ],
})
export class AppModule {}

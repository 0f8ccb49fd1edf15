import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { SessionStore } from './session-store.interface.js';
import { TypeOrmSessionStore } from './typeorm/typeorm-session.store.js';

/** At start, makes sure the TypeORM store's table exists (its migrations ran). */
@Injectable()
export class SessionTableCheck implements OnApplicationBootstrap {
  constructor(@Inject(SessionStore) private readonly store: SessionStore) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.store instanceof TypeOrmSessionStore) await this.store.checkTable();
  }
}

import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { SessionStore } from './session-store.interface.js';

/** At start, lets the store make sure it can work (`checkReady()`: the TypeORM store's table exists). */
@Injectable()
export class SessionStoreCheck implements OnApplicationBootstrap {
  constructor(@Inject(SessionStore) private readonly store: SessionStore) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.store.checkReady?.();
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SessionsService } from './sessions.service.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session.constants.js';

/**
 * Runs `clearExpired()` in the server every `clearExpiredEvery` seconds, when that option is
 * set. The timer does not keep the process alive, runs never overlap, and it stops with the app.
 */
@Injectable()
export class SessionCleaner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SessionCleaner');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly sessions: SessionsService,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.options.clearExpiredEvery;
    if (seconds === undefined) return;
    this.timer = setInterval(() => void (this.running ??= this.clean()), seconds * 1000);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async clean(): Promise<void> {
    try {
      const { deleted, elapsedMs } = await this.sessions.clearExpired();
      if (deleted > 0) this.logger.log(`Deleted ${deleted} expired sessions in ${Math.round(elapsedMs)} ms`);
    } catch (error) {
      this.logger.warn(`Clearing expired sessions failed: ${(error as Error).message}`);
    } finally {
      this.running = undefined;
    }
  }
}

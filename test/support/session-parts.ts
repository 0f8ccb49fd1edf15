import { Test } from '@nestjs/testing';
import { CommitsInFlight } from '../../src/session/http/commits-in-flight.js';
import { SessionEngine } from '../../src/session/engine/session-engine.js';
import { SessionModule, type SessionModuleOptions, type SessionStore } from '../../src/session/index.js';
import { SessionMiddleware } from '../../src/session/http/session.middleware.js';

/** The library's parts as SessionModule wires them, for unit specs, without an HTTP app. */
export async function sessionParts(options: SessionModuleOptions & { store: SessionStore }) {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot({ secret: 's'.repeat(32), ...options })],
  }).compile();
  // The library's log lines stay out of the specs' output; a spec that counts them sets its own.
  moduleRef.useLogger(false);
  return {
    engine: moduleRef.get(SessionEngine),
    middleware: moduleRef.get(SessionMiddleware),
    inFlight: moduleRef.get(CommitsInFlight),
    close: () => moduleRef.close(),
  };
}

import { Logger, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { resolveSessionOptions } from './options/resolve-session-options.js';
import { SessionConfigError } from './session.errors.js';
import { SessionCodec } from './rows/session-codec.js';
import type { ResolvedSessionOptions, SessionModuleOptions } from './options/session-options.js';
import { SessionStore } from './stores/session-store.interface.js';
import { SESSION_MODULE_OPTIONS } from './session.module-definition.js';
import { MIN_SECRET_LENGTH, RESOLVED_SESSION_OPTIONS } from './options/session.constants.js';
import { statementTimeoutFor } from './stores/typeorm/store-options.js';
import { TypeOrmSessionStore } from './stores/typeorm/typeorm-session.store.js';

/** The options, defaulted and checked once at start. */
export const optionsProvider: Provider = {
  provide: RESOLVED_SESSION_OPTIONS,
  inject: [SESSION_MODULE_OPTIONS],
  useFactory: (options: SessionModuleOptions) => {
    const resolved = resolveSessionOptions(options);
    if (resolved.secretIsEphemeral) {
      new Logger('SessionModule').warn(ephemeralSecretWarning(resolved.secretProblem));
    }
    return resolved;
  },
};

/** The store: the one given in the options, else the TypeORM store on the default data source. */
export const storeProvider: Provider = {
  provide: SessionStore,
  inject: [RESOLVED_SESSION_OPTIONS, { token: getDataSourceToken(), optional: true }],
  useFactory: (options: ResolvedSessionOptions, dataSource?: DataSource) => {
    const store = chooseStore(options, dataSource);
    if (options.renewAfter !== undefined && !store.renew) {
      throw new SessionConfigError(
        'SessionModule: renewAfter needs a store that can renew keys (renew()); this one cannot.',
      );
    }
    return store;
  },
};

/** The store given in the options, else the TypeORM store on the default data source. */
function chooseStore(options: ResolvedSessionOptions, dataSource: DataSource | undefined): SessionStore {
  if (options.store) return options.store;
  if (!dataSource) {
    throw new SessionConfigError(
      'SessionModule: no store. Import TypeOrmModule.forRoot() with SessionEntity, or pass ' +
        '`store` (e.g. new TypeOrmSessionStore(dataSource) for a named data source).',
    );
  }
  return new TypeOrmSessionStore(dataSource, {
    statementTimeout: statementTimeoutFor(options.storeTimeout),
    renewedKeys: options.renewAfter !== undefined,
  });
}

/** Signing keys derived once from the secrets. */
export const codecProvider: Provider = {
  provide: SessionCodec,
  inject: [RESOLVED_SESSION_OPTIONS],
  useFactory: (options: ResolvedSessionOptions) => new SessionCodec(options.secret, options.secretFallbacks),
};

/** The warning for a throw-away secret: what was wrong with the one given, and what to do. */
export function ephemeralSecretWarning(problem: string | undefined): string {
  const what =
    problem === 'is not set' || problem === undefined
      ? 'No session secret set'
      : `The session secret ${problem} (at least ${MIN_SECRET_LENGTH} are needed)`;
  return `${what}: using a random one for this process, so sessions end when it restarts. Set \`secret\` to keep them.`;
}

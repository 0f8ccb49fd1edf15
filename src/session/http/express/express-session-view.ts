import { Logger } from '@nestjs/common';
import type { RequestSession } from '../../dictionary/request-session.js';
import type { SessionHandle } from '../session-handle.js';
import type { ResolvedSessionOptions } from '../../options/session-options.js';
import { ExpressSessionCookieView } from './express-session-cookie.js';
import type { ExpressSession, ExpressSessionCallback, ExpressSessionMembers } from './express-session.types.js';

const logger = new Logger('ExpressSession');

type MemberName = keyof ExpressSessionMembers;
const MEMBERS = new Set<string>([
  'id',
  'cookie',
  'regenerate',
  'save',
  'destroy',
  'reload',
  'touch',
] satisfies MemberName[]);

/**
 * The express-session views of one request's sessions: one object per session, so that
 * `req.session === req.session`, and a new one once `regenerate()` or `reload()` replaced the
 * session (the old one stays readable, as passport expects).
 */
export class ExpressSessionViews {
  private readonly views = new WeakMap<RequestSession, ExpressSession>();

  constructor(
    private readonly handle: SessionHandle,
    private readonly options: ResolvedSessionOptions,
  ) {}

  /** The view of the request's session now. */
  current(): ExpressSession {
    return this.of(this.handle.loaded!);
  }

  private of(session: RequestSession): ExpressSession {
    let view = this.views.get(session);
    if (!view) {
      view = new Proxy({}, this.traps(session, this.members(session))) as ExpressSession;
      this.views.set(session, view);
    }
    return view;
  }

  /** The members of the view of `session`, none of them enumerable. */
  private members(session: RequestSession): ExpressSessionMembers {
    const { handle } = this;
    const view = () => this.of(session);
    const cookie = new ExpressSessionCookieView(session, this.options);
    // Only the request's session now can save, end or reload; an object replaced by regenerate()
    // or reload() stays readable, but writing it back would bring the old session back.
    const onCurrent = (work: () => Promise<void>, callback: ExpressSessionCallback | undefined) => {
      settle(async () => {
        if (handle.loaded !== session) {
          throw new Error('This req.session was replaced by regenerate() or reload(); use the new req.session.');
        }
        await work();
      }, callback);
      return view();
    };
    return {
      get id() {
        return session.keyOrProvisional();
      },
      cookie,
      regenerate(callback) {
        settle(() => handle.restart(session), callback);
        return view();
      },
      save: (callback) => onCurrent(() => handle.saveNow(), callback),
      destroy: (callback) =>
        onCurrent(() => {
          session.flush();
          return handle.saveNow();
        }, callback),
      reload: (callback) => onCurrent(() => handle.reload(session), callback),
      touch() {
        if (!session.isEmpty()) session.modified = true;
        return view();
      },
    };
  }

  /** The data as the object's own enumerable properties; the members beside them. */
  private traps(session: RequestSession, members: ExpressSessionMembers): ProxyHandler<object> {
    const handle = this.handle;
    const isMember = (name: string) => MEMBERS.has(name);
    return {
      get(target, name): unknown {
        if (typeof name === 'symbol') return Reflect.get(target, name) as unknown;
        if (isMember(name)) return members[name as MemberName];
        handle.noteAccess();
        // Object.prototype's methods (hasOwnProperty, toString…) where the data has no such key.
        return session.has(name) ? (session.get(name) as unknown) : (Reflect.get(target, name) as unknown);
      },
      set(target, name, value) {
        if (typeof name === 'symbol') return Reflect.set(target, name, value);
        if (isMember(name)) throw new TypeError(`req.session.${name} cannot be assigned`);
        handle.noteAccess();
        session.assign(name, value);
        return true;
      },
      defineProperty(target, name, descriptor) {
        if (typeof name === 'symbol' || isMember(name) || !('value' in descriptor)) {
          return Reflect.defineProperty(target, name, descriptor);
        }
        handle.noteAccess();
        session.assign(name, descriptor.value);
        return true;
      },
      deleteProperty(target, name) {
        if (typeof name === 'symbol') return Reflect.deleteProperty(target, name);
        if (isMember(name)) return false;
        handle.noteAccess();
        session.delete(name);
        return true;
      },
      has(target, name) {
        if (typeof name === 'symbol') return Reflect.has(target, name);
        if (isMember(name)) return true;
        handle.noteAccess();
        return session.has(name) || Reflect.has(target, name);
      },
      ownKeys() {
        handle.noteAccess();
        return session.keys();
      },
      getOwnPropertyDescriptor(target, name) {
        if (typeof name === 'symbol' || isMember(name) || !session.has(name)) {
          return Reflect.getOwnPropertyDescriptor(target, name);
        }
        const value = session.get(name) as unknown;
        return { value, writable: true, enumerable: true, configurable: true };
      },
    };
  }
}

/**
 * Runs `work` and calls `callback` with its error, if any, as express-session's methods do. An
 * error thrown by the callback itself has nowhere to go but the log: it never crashes the server.
 */
function settle(work: () => unknown, callback: ExpressSessionCallback | undefined): void {
  const call = (error?: unknown) => {
    if (error !== undefined && !callback)
      logger.warn(`A req.session call failed: ${(error as Error)?.message ?? error}`);
    try {
      callback?.(error);
    } catch (thrown) {
      logger.error(`A req.session callback threw: ${(thrown as Error)?.stack ?? String(thrown)}`);
    }
  };
  let result: unknown;
  try {
    result = work();
  } catch (error) {
    return call(error);
  }
  if (result instanceof Promise) result.then(() => call(), call);
  else call();
}

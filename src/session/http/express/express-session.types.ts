/**
 * The data of the express-session view (`req.session`), typed by declaration merging, as
 * express-session's `SessionData` is:
 *
 * ```ts
 * declare module 'nest-sessions' {
 *   interface ExpressSessionData {
 *     views: number;
 *   }
 * }
 * ```
 * @public
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the app
export interface ExpressSessionData {}

/**
 * `req.session.cookie`: the session's expiry and cookie attributes, in express-session's shape.
 * @public
 */
export interface ExpressSessionCookie {
  /** Milliseconds the session lives if saved now; `null` for a cookie that ends with the browser. Settable. */
  maxAge: number | null;
  /** When the session ends if saved now; `null` for a cookie that ends with the browser. Settable. */
  expires: Date | null;
  /** The session's lifetime in milliseconds (its own expiry, else `cookieAge`); `null` at browser close. */
  readonly originalMaxAge: number | null;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none' | false;
  readonly path: string;
  readonly domain: string | undefined;
  /** The fields above as express-session's cookie serialises them. */
  toJSON(): Record<string, unknown>;
}

/**
 * A callback of express-session's methods: called with the error, if any, once done.
 * @public
 */
export type ExpressSessionCallback = (error?: unknown) => void;

/**
 * The members of `req.session` beside the data; none of them enumerable.
 * @public
 */
export interface ExpressSessionMembers {
  /** The session key (a provisional one, used at the first save, for a new session). */
  readonly id: string;
  readonly cookie: ExpressSessionCookie;
  /** A new key and no data; the old row goes; the old object stays readable. */
  regenerate(callback?: ExpressSessionCallback): this;
  /** Saves now, with the version check and merge of every save. */
  save(callback?: ExpressSessionCallback): this;
  /** Ends the session (`flush()`): data cleared, row deleted now, cookie removed. */
  destroy(callback?: ExpressSessionCallback): this;
  /** Reads the row again, dropping unsaved changes. */
  reload(callback?: ExpressSessionCallback): this;
  /** Renews the expiry: the session is saved at the end of the request, and its cookie re-sent. */
  touch(): this;
}

/**
 * `req.session` where `ExpressSessionMiddleware` applies: the data as properties, and the members.
 * @public
 */
export type ExpressSession = ExpressSessionMembers & Partial<ExpressSessionData>;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares its request type so
  namespace Express {
    interface Request {
      /** The session, where `ExpressSessionMiddleware` applies. */
      session: ExpressSession;
      /** `req.session.id`. */
      sessionID: string;
    }
  }
}

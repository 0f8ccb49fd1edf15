// What the Passport login keeps in `req.session`, typed as the library lets any app type it.
declare module '../../session/index.js' {
  interface ExpressSessionData {
    /** connect-flash's messages, by type, until they are shown. */
    flash: Record<string, string[]>;
    /** passport's part: the logged-in user's name, as the serializer gave it. */
    passport: { user?: string };
  }
}

export {};

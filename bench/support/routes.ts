/** A route of the bench apps (`bench/apps/`): what its requests ask and carry. */
export interface Route {
  name: string;
  /** The request path; `{n}` becomes the request's number, `{k}` one of HOT_KEYS key numbers. */
  path: string;
  /**
   * Whether requests carry one of the server's existing sessions (`true`), none (`false`), or
   * all the same one, made fresh for the run (`'shared'`).
   */
  withSession: boolean | 'shared';
}
/** The routes of the bench apps, by id. */
export const ALL_ROUTES: Record<string, Route> = {
  untouched: { name: 'untouched (home page, with a session cookie)', path: '/', withSession: true },
  read: { name: 'read existing session', path: '/bench/get', withSession: true },
  new: { name: 'new-session write', path: '/bench/put?k=item&v={n}', withSession: false },
  write: { name: 'write to existing session', path: '/bench/put?k=item&v={n}', withSession: true },
  hot: { name: 'hot: every connection writes one session', path: '/bench/put?k=h{k}&v={n}', withSession: 'shared' },
};

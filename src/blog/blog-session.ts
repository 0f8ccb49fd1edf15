import type { RequestSession } from '../session/index.js';

/** What the demo keeps in the session. */
export interface BlogData {
  id: number;
  name: string;
  password: string;
  logged_in: boolean;
  [key: string]: unknown;
}

export type BlogSession = RequestSession<BlogData>;

export const LOGIN_PATH = '/lousy-login/';
export const SECRET_PATH = '/lousy-secret/';

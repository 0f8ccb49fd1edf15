import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import { LocalStrategy, type DemoUser } from './local.strategy.js';

type Done<T> = (error: unknown, value?: T) => void;

/** Keeps the user's name in the session (`req.session.passport.user`), and finds the user by it. */
@Injectable()
export class UserSerializer extends PassportSerializer {
  constructor(private readonly users: LocalStrategy) {
    super();
  }

  serializeUser(user: DemoUser, done: Done<string>): void {
    done(null, user.username);
  }

  /** A name that no longer names a user deserializes to `false`: passport then logs the session out. */
  deserializeUser(username: unknown, done: Done<DemoUser | false>): void {
    done(null, this.users.knows(username) ? { username: username as string } : false);
  }
}

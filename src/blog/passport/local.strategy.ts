import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { BLOG_OPTIONS, type BlogModuleOptions } from '../blog.module-definition.js';
import { credentialMatches } from '../credentials.js';

/** A user of the demo: the lousy login's one account. */
export interface DemoUser {
  username: string;
}

/** passport-local on the lousy login's credentials (root / pass unless configured). */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  private readonly username: string;
  private readonly password: string;

  constructor(@Inject(BLOG_OPTIONS) options: BlogModuleOptions) {
    super();
    this.username = options.username ?? 'root';
    this.password = options.password ?? 'pass';
  }

  validate(username: string, password: string): DemoUser | false {
    // Both compared, always: the time taken says nothing about which one was wrong.
    const userOk = credentialMatches(username, this.username);
    const passwordOk = credentialMatches(password, this.password);
    return userOk && passwordOk ? { username: this.username } : false;
  }

  /** Whether `username` still names a user (the serializer's check on every request). */
  knows(username: unknown): boolean {
    return username === this.username;
  }
}

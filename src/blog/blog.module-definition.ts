import { ConfigurableModuleBuilder } from '@nestjs/common';

/** Settings of the demo. */
export interface BlogModuleOptions {
  /** The lousy login's credentials. Default: the tutorial's root / pass. */
  username?: string;
  password?: string;
  /** The app's secret, from which the CSRF tokens' key is derived. Default: a random key per process. */
  secret?: string;
  /** The session cookie's name, which the CSRF tokens are bound to. Default `sessionid`. */
  sessionCookieName?: string;
  /** Whether the CSRF cookie is HTTPS-only. Default `false`. */
  secureCookies?: boolean;
}

export const { ConfigurableModuleClass: BlogConfigurableModule, MODULE_OPTIONS_TOKEN: BLOG_OPTIONS } =
  new ConfigurableModuleBuilder<BlogModuleOptions>().setClassMethodName('forRoot').build();

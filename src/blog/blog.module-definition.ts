import { ConfigurableModuleBuilder } from '@nestjs/common';

/** Settings of the demo. */
export interface BlogModuleOptions {
  /** The lousy login's credentials. Default: the tutorial's root / pass. */
  username?: string;
  password?: string;
}

export const { ConfigurableModuleClass: BlogConfigurableModule, MODULE_OPTIONS_TOKEN: BLOG_OPTIONS } =
  new ConfigurableModuleBuilder<BlogModuleOptions>().setClassMethodName('forRoot').build();

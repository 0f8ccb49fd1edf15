import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SessionModuleOptions } from './options/session-options.js';

export const {
  ConfigurableModuleClass: SessionConfigurableModule,
  MODULE_OPTIONS_TOKEN: SESSION_MODULE_OPTIONS,
  OPTIONS_TYPE: SESSION_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SESSION_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SessionModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSessionOptions')
  .build();

/**
 * What `SessionModule.forRootAsync()` takes: `useFactory` + `inject`, `useClass` or `useExisting`.
 * @public
 */
export type SessionModuleAsyncOptions = typeof SESSION_ASYNC_OPTIONS_TYPE;

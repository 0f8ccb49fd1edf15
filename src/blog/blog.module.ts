import { Module } from '@nestjs/common';
import { fileURLToPath } from 'node:url';
import { BenchController } from './bench.controller.js';
import { BlogConfigurableModule } from './blog.module-definition.js';
import { LousyLoginController } from './lousy-login.controller.js';
import { SessionViewsController } from './session-views.controller.js';

/** Where the demo's Handlebars templates are (copied beside the build by scripts/build.mjs). */
export const BLOG_VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));

/**
 * The demo from the tutorial: the session views, the lousy login and the bench routes. Uses the
 * session library only through its public entry point.
 */
@Module({ controllers: [SessionViewsController, LousyLoginController, BenchController] })
export class BlogModule extends BlogConfigurableModule {}

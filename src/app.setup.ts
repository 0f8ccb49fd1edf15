import type { NestExpressApplication } from '@nestjs/platform-express';
import { BLOG_VIEWS_DIR } from './blog/index.js';

/** What the server needs beyond its modules: the template engine of the demo's views. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  app.setBaseViewsDir(BLOG_VIEWS_DIR);
  // Handlebars: `{{value}}` is HTML-escaped unless written `{{{value}}}`.
  app.setViewEngine('hbs');
  app.disable('x-powered-by');
  return app;
}

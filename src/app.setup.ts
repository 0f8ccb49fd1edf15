import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import handlebars from 'handlebars';
import { BLOG_VIEWS_DIR } from './blog/index.js';
import type { HttpAdapterKind } from './config/environment.js';

/**
 * The HTTP adapter of `kind`, for `NestFactory.create()`. Fastify is told to take `/x/` for `/x`,
 * as Express's router does: the demo's links end in a slash, its routes do not.
 */
export function createHttpAdapter(kind: HttpAdapterKind): AbstractHttpAdapter {
  return kind === 'fastify'
    ? new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } })
    : new ExpressAdapter();
}

/** Starts `app` on `port` of every interface: Node's default, which Fastify narrows to localhost unless told. */
export async function listen(app: INestApplication, port: number): Promise<void> {
  await (app.getHttpAdapter().getType() === 'fastify' ? app.listen(port, '::') : app.listen(port));
}

/**
 * What the server needs beyond its modules: the template engine of the demo's views, Handlebars
 * on either platform (`{{value}}` is HTML-escaped unless written `{{{value}}}`), each page set in
 * `layout.hbs`. Forms are parsed by Nest's own body parser on both.
 */
export function configureApp<App extends INestApplication>(app: App): App {
  if (app.getHttpAdapter().getType() === 'fastify') {
    (app as unknown as NestFastifyApplication).setViewEngine({
      engine: { handlebars },
      root: BLOG_VIEWS_DIR,
      layout: 'layout.hbs',
    });
    return app;
  }
  const express = app as unknown as NestExpressApplication;
  express.setBaseViewsDir(BLOG_VIEWS_DIR);
  // The hbs package: Handlebars for Express, with `layout.hbs` of the views folder as the layout.
  express.setViewEngine('hbs');
  express.disable('x-powered-by');
  return app;
}

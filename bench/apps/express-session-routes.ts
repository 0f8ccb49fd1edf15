import { Controller, Get, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import type session from 'express-session';

type SessionRequest = Request & { session: session.Session & Record<string, unknown> };

/** The bench's session routes on express-session's `req.session`, for both peers. */
@Controller()
export class ExpressSessionRoutes {
  @Get('bench/get')
  get(@Req() req: SessionRequest) {
    const { cookie: _cookie, ...data } = req.session;
    return data;
  }

  @Get('bench/put')
  put(@Req() req: SessionRequest, @Query('k') key: string, @Query('v') value: string) {
    req.session[key] = value;
    // The value written, by which the hot route's load tells which writes were answered.
    return value;
  }
}

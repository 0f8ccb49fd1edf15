import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

/** Thrown where a redirect is the answer but no value can be returned (in a guard). */
export class RedirectException extends HttpException {
  constructor(readonly location: string) {
    super(`Redirecting to ${location}`, HttpStatus.FOUND);
  }
}

/** Answers a {@link RedirectException} with a 302 to its relative location. */
@Catch(RedirectException)
export class RedirectFilter implements ExceptionFilter {
  catch(exception: RedirectException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().redirect(HttpStatus.FOUND, exception.location);
  }
}

import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** Thrown where a redirect is the answer but no value can be returned (in a guard). */
export class RedirectException extends HttpException {
  constructor(readonly location: string) {
    super(`Redirecting to ${location}`, HttpStatus.FOUND);
  }
}

/** Answers a {@link RedirectException} with a 302 to its relative location. */
@Catch(RedirectException)
export class RedirectFilter implements ExceptionFilter {
  constructor(private readonly http: HttpAdapterHost) {}

  catch(exception: RedirectException, host: ArgumentsHost): void {
    this.http.httpAdapter.redirect(host.switchToHttp().getResponse(), HttpStatus.FOUND, exception.location);
  }
}

import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Caller } from '../auth/api-keys';
import { ReviewAuth } from './review-auth';
import { sessionToken } from './session-cookie';

/** The review page's own routes: a reader signed in with the session cookie. */
@Injectable()
export class ReviewSessionGuard implements CanActivate {
  constructor(@Inject(ReviewAuth) private readonly auth: ReviewAuth) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const token = sessionToken(req);
    const caller = token === undefined ? null : await this.auth.caller(token);
    if (!caller) throw new UnauthorizedException('not signed in to the review page');
    req.caller = caller;
    return true;
  }
}

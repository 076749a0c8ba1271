import {
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { ApiScopeName } from '@pneumoscreen/config';
import { ReviewAuth } from '../review/review-auth';
import { fromSameOrigin, sessionToken } from '../review/session-cookie';
import { API_KEYS } from '../tokens';
import type { ApiKeys, Caller } from './api-keys';

export type { Caller } from './api-keys';

const SCOPE = 'pneumoscreen:api-scope';
/** The scope a route needs (`submit`, `status`, `feedback`). */
export const RequireScope = (scope: ApiScopeName) => SetMetadata(SCOPE, scope);

type WithCaller = Request & { caller?: Caller };
/** The caller the guard identified. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<WithCaller>().caller;
  if (!caller) throw new Error('CurrentCaller used on a route without ApiKeyGuard or ReviewSessionGuard');
  return caller;
});

/**
 * The studies and feedback API: `Authorization: Bearer <key>`, where the key is one of a tenant's.
 * A request without that header may instead carry the review page's session cookie, which is
 * good for the `feedback` scope only and only from a page of this origin.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(API_KEYS) private readonly keys: ApiKeys,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ReviewAuth) private readonly review: ReviewAuth,
  ) {
    if (!keys.count)
      throw new Error(
        'INGEST_API_KEY (or an apiKeys entry of a tenant in TENANTS) must be set for ingest to accept authenticated requests',
      );
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<WithCaller>();
    const scope = this.reflector.getAllAndOverride<ApiScopeName | undefined>(SCOPE, [ctx.getHandler(), ctx.getClass()]);
    if (!scope) throw new Error('a route behind ApiKeyGuard names no scope');
    const token = req.headers.authorization === undefined ? sessionToken(req) : undefined;
    req.caller = token === undefined ? this.bearer(req, scope) : await this.session(req, token, scope);
    return true;
  }

  private bearer(req: Request, scope: ApiScopeName): Caller {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const found = this.keys.identify(m?.[1] ?? '');
    if (!m || !found) throw new UnauthorizedException('missing or wrong bearer token');
    if (!found.scopes.includes(scope))
      throw new ForbiddenException(`API key ${found.id} of tenant ${found.tenant.id} does not have the ${scope} scope`);
    return { tenant: found.tenant, keyId: found.id };
  }

  private async session(req: Request, token: string, scope: ApiScopeName): Promise<Caller> {
    if (scope !== 'feedback') throw new ForbiddenException('a review session may only post feedback; other routes take a bearer token');
    if (!fromSameOrigin(req)) throw new ForbiddenException('a review session is good only from the review page');
    const caller = await this.review.caller(token);
    if (!caller) throw new UnauthorizedException('the review session has ended: sign in again at /review');
    return caller;
  }
}

import { createHash, timingSafeEqual } from 'node:crypto';
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
import type { ApiScopeName, AppConfig, TenantConfig } from '@pneumoscreen/config';
import { CONFIG } from '../tokens';

/** Who is calling: the tenant whose key it is, and what that key may do. */
export interface Caller {
  tenant: TenantConfig;
  keyId: string;
}

const SCOPE = 'pneumoscreen:api-scope';
/** The scope a route needs (`submit`, `status`, `feedback`). */
export const RequireScope = (scope: ApiScopeName) => SetMetadata(SCOPE, scope);

type WithCaller = Request & { caller?: Caller };
/** The caller the guard identified. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<WithCaller>().caller;
  if (!caller) throw new Error('CurrentCaller used on a route without ApiKeyGuard');
  return caller;
});

interface KnownKey {
  tenant: TenantConfig;
  id: string;
  scopes: readonly ApiScopeName[];
  hash: Buffer;
}

/**
 * The studies and feedback API: `Authorization: Bearer <key>`, where the key is one of a tenant's
 * (`INGEST_API_KEY` is the default tenant's). Only SHA-256 digests of keys are configured; the
 * digest of the given token is compared with every one of them in constant time, whichever
 * matches, so timing tells nothing of which key or tenant came close.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: KnownKey[];

  constructor(
    @Inject(CONFIG) config: AppConfig,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {
    this.keys = config.tenants.flatMap((tenant) => tenant.apiKeys.map((k) => ({ tenant, id: k.id, scopes: k.scopes, hash: Buffer.from(k.sha256, 'hex') })));
    if (!this.keys.length) throw new Error('INGEST_API_KEY (or an apiKeys entry of a tenant in TENANTS) must be set for ingest to accept authenticated requests');
  }

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<WithCaller>();
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const given = createHash('sha256').update(m?.[1] ?? '', 'utf8').digest();
    let found: KnownKey | undefined;
    for (const key of this.keys) if (timingSafeEqual(given, key.hash) && !found) found = key;
    if (!m || !found) throw new UnauthorizedException('missing or wrong bearer token');
    const scope = this.reflector.getAllAndOverride<ApiScopeName | undefined>(SCOPE, [ctx.getHandler(), ctx.getClass()]);
    if (!scope) throw new Error('a route behind ApiKeyGuard names no scope');
    if (!found.scopes.includes(scope)) throw new ForbiddenException(`API key ${found.id} of tenant ${found.tenant.id} does not have the ${scope} scope`);
    req.caller = { tenant: found.tenant, keyId: found.id };
    return true;
  }
}

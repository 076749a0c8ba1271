import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiScopeName, TenantConfig } from '@pneumoscreen/config';

/** A configured API key: whose it is and what it may do (its secret is only a digest). */
export interface KnownKey {
  tenant: TenantConfig;
  id: string;
  scopes: readonly ApiScopeName[];
}

/** Who is calling: the tenant whose key it is, and what that key may do. */
export interface Caller {
  tenant: TenantConfig;
  keyId: string;
  /** Signed in to the review page as this reader: the only reader its labels may name. */
  readerId?: string;
}

interface HashedKey extends KnownKey {
  hash: Buffer;
}

/**
 * Every tenant's API keys (`INGEST_API_KEY` is the default tenant's). Only SHA-256 digests of keys
 * are configured; the digest of a given token is compared with every one of them in constant time,
 * whichever matches, so timing tells nothing of which key or tenant came close.
 */
export class ApiKeys {
  private readonly keys: HashedKey[];

  constructor(tenants: readonly TenantConfig[]) {
    this.keys = tenants.flatMap((tenant) =>
      tenant.apiKeys.map((k) => ({ tenant, id: k.id, scopes: k.scopes, hash: Buffer.from(k.sha256, 'hex') })),
    );
  }

  get count(): number {
    return this.keys.length;
  }

  identify(token: string): KnownKey | undefined {
    const given = createHash('sha256').update(token, 'utf8').digest();
    let found: HashedKey | undefined;
    for (const key of this.keys) if (timingSafeEqual(given, key.hash) && !found) found = key;
    return found;
  }

  /** The key as configured now: a review session ends with the key it was opened with. */
  byId(tenantId: string, keyId: string): KnownKey | undefined {
    return this.keys.find((k) => k.tenant.id === tenantId && k.id === keyId);
  }
}

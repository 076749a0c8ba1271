// Which tenant owns an object, a study or a URL, and what follows from it (study ids, watched
// prefixes, signing secrets); the tenants themselves are in tenants.ts.
import { ANY_BUCKET, type TenantConfig, type TenantLocation } from './tenants';

export interface TenantMatch {
  tenant: TenantConfig;
  location: TenantLocation;
}

/** The tenant that owns an object: its location in that bucket with the longest matching prefix
 * (locations of different tenants never overlap; the default tenant's catch-all comes last). */
export function tenantFor(tenants: readonly TenantConfig[], bucket: string, key: string): TenantMatch | undefined {
  let best: TenantMatch | undefined;
  let bestRank = -1;
  for (const tenant of tenants) {
    for (const location of tenant.locations) {
      if (location.bucket !== bucket && location.bucket !== ANY_BUCKET) continue;
      if (!key.startsWith(location.prefix)) continue;
      const rank = (location.bucket === ANY_BUCKET ? 0 : 1_000_000) + location.prefix.length;
      if (rank > bestRank) [best, bestRank] = [{ tenant, location }, rank];
    }
  }
  return best;
}

/** Whether every key lies in the tenant's locations in that bucket. */
export function tenantOwns(tenant: TenantConfig, bucket: string, keys: readonly string[]): boolean {
  return keys.every((k) => tenantFor([tenant], bucket, k) !== undefined);
}

/** Whether a study's `callbackUrl` may receive its events: its host is on the tenant's list. */
export function callbackHostAllowed(tenant: TenantConfig, url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return tenant.callbackHosts.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p));
}

/** The tenant of a study: the one owning every key, none if they straddle tenants. */
export function studyTenant(tenants: readonly TenantConfig[], bucket: string, keys: readonly string[]): TenantConfig | undefined {
  const owners = new Set(keys.map((k) => tenantFor(tenants, bucket, k)?.tenant));
  const [only] = owners;
  return owners.size === 1 ? only : undefined;
}

const href = (url: string) => new URL(url).href;

/** The secrets that sign a delivery of the tenant's to `url`, read at each attempt so that a
 * rotation takes effect on retries; none when the URL is no longer the tenant's. */
export function deliverySecrets(tenant: TenantConfig, url: string): string[] {
  const key = href(url);
  const endpoint = tenant.endpoints.find((e) => href(e.url) === key);
  if (endpoint) return endpoint.secrets;
  if (tenant.fallback && href(tenant.fallback.url) === key) return tenant.fallback.secrets;
  return callbackHostAllowed(tenant, url) ? tenant.callbackSecrets : [];
}

/** Whether a study (its bucket and object keys) is the tenant's. A study with no objects yet is
 * only the catch-all default tenant's: nothing else proves whose it is. */
export function ownsStudy(tenant: TenantConfig, bucket: string, keys: readonly string[]): boolean {
  return keys.length ? tenantOwns(tenant, bucket, keys) : tenant.locations.some((l) => l.bucket === ANY_BUCKET);
}

/**
 * A study's id within its tenant: `<tenant>.<name>` for a tenant of `TENANTS`, so two tenants
 * naming a folder or a submitted study alike get two studies, and neither can learn (by a 409, or
 * a late object) that the other has one of that name. Tenant ids hold no `.`, so the part before
 * the first `.` always names the tenant; a name already so scoped is kept. The catch-all default
 * tenant (no `TENANTS`) keeps bare names, as before tenants existed.
 */
export function studyIdIn(tenant: TenantConfig, name: string): string {
  if (tenant.locations.some((l) => l.bucket === ANY_BUCKET) || name.startsWith(`${tenant.id}.`)) return name;
  return `${tenant.id}.${name}`;
}

/**
 * Where ingest looks for studies: the incoming prefix of every tenant location's bucket, narrowed
 * to the location's own prefix where that lies inside it. The catch-all default tenant (no
 * `TENANTS`) watches `S3_BUCKET`. A location nested in another of the same bucket is listed with
 * it; one outside the incoming prefix holds no study folders and is not watched.
 */
export function watchedLocations(tenants: readonly TenantConfig[], s3Bucket: string, incomingPrefix: string): TenantLocation[] {
  const found = new Map<string, TenantLocation>();
  for (const l of tenants.flatMap((t) => t.locations)) {
    const bucket = l.bucket === ANY_BUCKET ? s3Bucket : l.bucket;
    const prefix = l.prefix.startsWith(incomingPrefix) ? l.prefix : incomingPrefix.startsWith(l.prefix) ? incomingPrefix : undefined;
    if (prefix !== undefined) found.set(`${bucket}\u0000${prefix}`, { bucket, prefix });
  }
  const all = [...found.values()];
  return all.filter((l) => !all.some((o) => o !== l && o.bucket === l.bucket && l.prefix.startsWith(o.prefix)));
}

/** The bucket an API request means when it names none: the tenant's first, else `S3_BUCKET`. */
export function defaultBucket(tenant: TenantConfig, s3Bucket: string): string {
  return tenant.locations.find((l) => l.bucket !== ANY_BUCKET)?.bucket ?? s3Bucket;
}

/** Whether the tenant has objects in the bucket at all. */
export function inTenantBucket(tenant: TenantConfig, bucket: string): boolean {
  return tenant.locations.some((l) => l.bucket === bucket || l.bucket === ANY_BUCKET);
}

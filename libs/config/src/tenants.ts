import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseJsonSetting } from './json-setting';
import { EndpointEvents, EndpointUrl, WebhookSecret, type WebhookEndpointConfig } from './webhook-endpoints';

// Mirror TenantId, ApiScope and DEFAULT_TENANT_ID in @pneumoscreen/contracts: config depends on
// no other lib.
export const API_SCOPES = ['submit', 'status', 'feedback'] as const;
export type ApiScopeName = (typeof API_SCOPES)[number];
export const DEFAULT_TENANT = 'default';
/** The default tenant's only location: every bucket, every key. No tenant in `TENANTS` has it. */
export const ANY_BUCKET = '*';

/** Where a tenant's objects live: a bucket and a key prefix ('' for the whole bucket). */
export interface TenantLocation {
  bucket: string;
  prefix: string;
}

/** A configured receiver of the tenant's events, with the secrets that sign them (the first
 * ones and the next ones during a rotation: every delivery is signed with all). */
export interface TenantEndpoint extends WebhookEndpointConfig {
  secrets: string[];
}

export interface TenantApiKey {
  /** Names the key in logs and errors; the key itself is never kept, only its SHA-256. */
  id: string;
  sha256: string;
  scopes: ApiScopeName[];
}

export interface TenantConfig {
  id: string;
  locations: TenantLocation[];
  endpoints: TenantEndpoint[];
  /** Receives the tenant's study events that no endpoint covers (the legacy `WEBHOOK_URL`). */
  fallback?: { url: string; secrets: string[] };
  /** Hosts a study's own `callbackUrl` (manifest or submit API) may name; that URL receives the
   * event besides the configured endpoints, never instead of them. `*.example.org` takes every
   * subdomain. */
  callbackHosts: string[];
  /** Sign deliveries to a study's own `callbackUrl`. */
  callbackSecrets: string[];
  apiKeys: TenantApiKey[];
}

const hostPattern = z
  .string()
  .transform((h) => h.toLowerCase())
  .pipe(z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a host name, or *.domain'));

const TenantSpec = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 of a-z 0-9 _ - and start with a letter or digit'),
    locations: z
      .array(z.object({ bucket: z.string().min(3).max(63).regex(/^[a-z0-9.-]+$/, 'must be an S3 bucket name'), prefix: z.string().default('') }).strict())
      .min(1),
    endpoints: z
      .array(
        z
          .object({
            url: EndpointUrl,
            secrets: z.array(WebhookSecret).min(1),
            bucket: z.string().min(3).max(63).optional(),
            prefix: z.string().min(1).optional(),
            events: EndpointEvents.optional(),
          })
          .strict(),
      )
      .default([]),
    callbackHosts: z.array(hostPattern).default([]),
    callbackSecrets: z.array(WebhookSecret).default([]),
    apiKeys: z
      .array(
        z
          .object({
            id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ -'),
            sha256: z.string().transform((h) => h.toLowerCase()).pipe(z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex digits of the key\'s SHA-256')),
            scopes: z.array(z.enum(API_SCOPES)).min(1),
          })
          .strict(),
      )
      .default([]),
  })
  // A misspelt key ("endpoint", "callbackHost") would otherwise drop a rule silently.
  .strict()
  .superRefine((t, ctx) => {
    if (t.callbackHosts.length && !t.callbackSecrets.length) {
      ctx.addIssue({ code: 'custom', path: ['callbackSecrets'], message: 'required when callbackHosts is set: callbacks are always signed' });
    }
    t.endpoints.forEach((e, i) => {
      if (e.bucket !== undefined && !t.locations.some((l) => l.bucket === e.bucket)) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'bucket'], message: 'is none of the tenant\'s location buckets' });
      }
    });
  });

const TenantList = z
  .array(TenantSpec)
  .min(1)
  .superRefine((tenants, ctx) => {
    const ids = new Set<string>();
    const keys = new Map<string, string>();
    tenants.forEach((t, i) => {
      if (ids.has(t.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `tenant id "${t.id}" is used twice` });
      ids.add(t.id);
      t.apiKeys.forEach((k, j) => {
        const owner = keys.get(k.sha256);
        if (owner !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'apiKeys', j, 'sha256'], message: `the same key is also listed for tenant "${owner}"` });
        keys.set(k.sha256, t.id);
      });
    });
    // A key two tenants could claim would belong to whichever matched first: refuse overlaps.
    tenants.forEach((a, i) =>
      tenants.slice(i + 1).forEach((b) => {
        for (const la of a.locations) {
          for (const lb of b.locations) {
            if (la.bucket === lb.bucket && (la.prefix.startsWith(lb.prefix) || lb.prefix.startsWith(la.prefix))) {
              ctx.addIssue({ code: 'custom', path: [i, 'locations'], message: `tenants "${a.id}" and "${b.id}" overlap in bucket ${la.bucket}` });
            }
          }
        }
      }),
    );
  });

/** `TENANTS` is a JSON array, or the path of a file holding one. */
export function parseTenants(raw: string, ctx: z.RefinementCtx): TenantConfig[] {
  return parseJsonSetting(TenantList, raw, ctx);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface LegacyTenantSettings {
  endpoints: WebhookEndpointConfig[];
  defaultUrl?: string;
  secrets: string[];
  callbackHosts: string[];
  apiKey?: string;
}

/** One deployment, one owner: what the single-tenant settings (`WEBHOOK_ENDPOINTS`, `WEBHOOK_URL`,
 * `WEBHOOK_SECRET`, `CALLBACK_HOSTS`, `INGEST_API_KEY`) mean as a tenant. It owns every bucket. */
export function legacyTenant(s: LegacyTenantSettings): TenantConfig {
  return {
    id: DEFAULT_TENANT,
    locations: [{ bucket: ANY_BUCKET, prefix: '' }],
    endpoints: s.endpoints.map((e) => ({ ...e, secrets: s.secrets })),
    ...(s.defaultUrl ? { fallback: { url: s.defaultUrl, secrets: s.secrets } } : {}),
    callbackHosts: s.callbackHosts.map((h) => h.toLowerCase()),
    callbackSecrets: s.secrets,
    apiKeys: s.apiKey ? [{ id: 'INGEST_API_KEY', sha256: sha256Hex(s.apiKey), scopes: [...API_SCOPES] }] : [],
  };
}

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

import { createHash } from 'node:crypto';
import type { WebhookEndpointConfig } from './webhook-endpoints';

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

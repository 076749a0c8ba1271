import type { Env } from '../env';
import { invalid } from '../config-error';
import { legacyTenant, type TenantConfig } from '../tenants';

/** Delivery settings; where events go and what signs them is each tenant's (`tenants`). */
export interface WebhooksConfig {
  timeoutMs: number;
  maxAttempts: number;
  /** Delay before each attempt; the webhooks lib's Svix-like default when absent. */
  retryScheduleMs?: number[];
  /** Each delay varies by up to this fraction either way. */
  retryJitter: number;
  allowPrivate: boolean;
  allowHosts?: string[];
  /** Deliveries in flight per process, to all endpoints together. */
  concurrency: number;
}

export function webhooksSection(e: Env): WebhooksConfig {
  return {
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE,
    retryJitter: e.WEBHOOK_RETRY_JITTER,
    allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    allowHosts: e.WEBHOOK_ALLOW_HOSTS,
    concurrency: e.WEBHOOK_CONCURRENCY,
  };
}

/** `TENANTS`, or one default tenant made of the single-tenant settings; never both. */
export function tenantsSection(e: Env): TenantConfig[] {
  const legacy = (['WEBHOOK_ENDPOINTS', 'WEBHOOK_URL', 'WEBHOOK_SECRET', 'CALLBACK_HOSTS', 'INGEST_API_KEY'] as const).filter(
    (k) => e[k] !== undefined,
  );
  if (e.TENANTS && legacy.length) {
    throw invalid(legacy.map((k) => `${k}: cannot be combined with TENANTS; give it to a tenant`));
  }
  return (
    e.TENANTS ?? [
      legacyTenant({
        endpoints: e.WEBHOOK_ENDPOINTS ?? [],
        defaultUrl: e.WEBHOOK_URL,
        secrets: e.WEBHOOK_SECRET ?? [],
        callbackHosts: e.CALLBACK_HOSTS ?? [],
        apiKey: e.INGEST_API_KEY,
      }),
    ]
  );
}

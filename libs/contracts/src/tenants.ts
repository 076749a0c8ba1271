import { z } from 'zod';

/** A tenant (a hospital, a screening programme) names its studies, keys and endpoints. Tenant
 * ids appear in job payloads, Redis keys and logs, never secrets. */
export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'tenant id must be 1-63 of a-z 0-9 _ - and start with a letter or digit');
export type TenantId = z.infer<typeof TenantId>;

/** What an API key may do: submit studies, read their status, send feedback. */
export const ApiScope = z.enum(['submit', 'status', 'feedback']);
export type ApiScope = z.infer<typeof ApiScope>;

/** The tenant every setting belongs to when `TENANTS` is not set (one deployment, one owner). */
export const DEFAULT_TENANT_ID = 'default';

export { loadConfig, ConfigError, type AppConfig } from './config';
export { EnvSchema, type Env } from './env';
export type { PacsConfig } from './sections/pacs';
export { hashTaggedPrefix, parseRedisUrl, type RedisTarget } from './redis-target';
export { WEBHOOK_EVENT_TYPES, type WebhookEndpointConfig } from './webhook-endpoints';
export {
  API_SCOPES,
  ANY_BUCKET,
  DEFAULT_TENANT,
  sha256Hex,
  type ApiScopeName,
  type TenantApiKey,
  type TenantConfig,
  type TenantEndpoint,
  type TenantLocation,
} from './tenants';
export {
  callbackHostAllowed,
  defaultBucket,
  deliverySecrets,
  inTenantBucket,
  ownsStudy,
  studyIdIn,
  watchedLocations,
  studyTenant,
  tenantFor,
  tenantOwns,
  type TenantMatch,
} from './tenant-lookup';
export { sizeDecodePool, sizeDecodePoolFromConfig } from './decode-pool';
export { repoPath, repoRoot } from './repo-paths';

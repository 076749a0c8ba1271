export { loadConfig, ConfigError, type AppConfig } from './config';
export { EnvSchema, type Env } from './env';
export { hashTaggedPrefix, parseRedisUrl, type RedisTarget } from './redis-target';
export { WEBHOOK_EVENT_TYPES, type WebhookEndpointConfig } from './webhook-endpoints';
export {
  API_SCOPES,
  ANY_BUCKET,
  DEFAULT_TENANT,
  callbackHostAllowed,
  defaultBucket,
  deliverySecrets,
  inTenantBucket,
  ownsStudy,
  studyIdIn,
  watchedLocations,
  studyTenant,
  sha256Hex,
  tenantFor,
  tenantOwns,
  type ApiScopeName,
  type TenantApiKey,
  type TenantConfig,
  type TenantEndpoint,
  type TenantLocation,
  type TenantMatch,
} from './tenants';
export { sizeDecodePool, sizeDecodePoolFromConfig } from './decode-pool';

export { loadConfig, ConfigError, type AppConfig } from './config';
export { EnvSchema, type Env } from './env';
export { WEBHOOK_EVENT_TYPES, type WebhookEndpointConfig } from './webhook-endpoints';
export { sizeDecodePool, sizeDecodePoolFromConfig } from './decode-pool';

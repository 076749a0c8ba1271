export { loadConfig, ConfigError, type AppConfig } from './config';
export { EnvSchema, type Env } from './env';

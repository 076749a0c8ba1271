import type { AppConfig } from '@pneumoscreen/config';
import { openModelRegistry, type ModelRegistry } from '@pneumoscreen/registry';
import { S3ObjectStore } from '@pneumoscreen/storage';

export interface ConfiguredRegistry {
  registry: ModelRegistry;
  /** The S3 store of the S3_* settings, made on first use and shared with the registry. */
  s3: () => S3ObjectStore;
  close: () => void;
}

/** The registry MODEL_REGISTRY names, for commands that take a published VERSION. */
export function openConfiguredRegistry(config: AppConfig): ConfiguredRegistry {
  const location = config.models.registry;
  if (!location) throw new Error('MODEL_REGISTRY is not set: name the registry, e.g. MODEL_REGISTRY=s3://pneumoscreen/models');
  let store: S3ObjectStore | undefined;
  const s3 = () => (store ??= new S3ObjectStore(config.models.registryS3));
  return { registry: openModelRegistry(location, config.models.name, s3), s3, close: () => store?.destroy() };
}

/** Runs `run` on the configured registry and closes it after. */
export async function withConfiguredRegistry<T>(config: AppConfig, run: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const { registry, close } = openConfiguredRegistry(config);
  try {
    return await run(registry);
  } finally {
    close();
  }
}

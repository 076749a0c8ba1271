import * as path from 'node:path';
import type { ObjectStore } from '@pneumoscreen/storage';
import { DirectoryObjectStore } from './directory-object-store';
import { ModelRegistry } from './model-registry';

/** Where a registry lives: an S3 bucket and key prefix, or a local folder for offline use. */
export type RegistryLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'directory'; dir: string };

/** `s3Store` is called only for an S3 location, so offline use needs no S3 settings. */
export function openModelRegistry(location: RegistryLocation, name: string, s3Store: () => ObjectStore): ModelRegistry {
  if (location.kind === 's3') return new ModelRegistry({ store: s3Store(), bucket: location.bucket, prefix: location.prefix, name });
  // The folder plays the bucket, so its parent is the store's root.
  const dir = path.resolve(location.dir);
  return new ModelRegistry({
    store: new DirectoryObjectStore(path.dirname(dir)),
    bucket: path.basename(dir),
    prefix: '',
    name,
    describeKey: (key) => path.join(dir, key),
  });
}

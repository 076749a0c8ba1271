import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { baseModelName, type PublishedVersion } from '@pneumoscreen/contracts';
import { architectureByName } from '../architectures/backbone';
import { VersionExistsError, type ModelRegistry } from '@pneumoscreen/registry';
import { readBaseSource, writeBaseModel, type BaseModelInfo, type ImportOptions } from './import';

export interface BaseImportResult {
  /** `exists`: these weights were imported before; the registry is unchanged. */
  status: 'published' | 'exists';
  name: string;
  version: string;
  /** Where the base model's versions live. */
  registry: string;
  info: BaseModelInfo;
  record: PublishedVersion;
}

/**
 * Imports a source as importBaseModel does and publishes it as a version of
 * baseModelName(architecture) in the registry `registryFor` opens. The version id comes from the
 * weights, so importing them again finds them there and changes nothing.
 */
export async function importBaseModelToRegistry(
  opts: Pick<ImportOptions, 'arch' | 'source' | 'inputSize'>,
  registryFor: (name: string) => ModelRegistry,
): Promise<BaseImportResult> {
  const source = await readBaseSource(opts);
  const registry = registryFor(baseModelName(architectureByName(opts.arch).architecture));
  const found = await existing(registry, source.version);
  if (found && found.info.source.sha256 !== source.sha256) {
    throw new Error(
      `${registry.name}@${source.version} at ${registry.location} was imported from other weights (sha256 ${found.info.source.sha256}), not from ${source.path}`,
    );
  }
  if (found) return found;
  const work = await fs.mkdtemp(path.join(tmpdir(), 'base-import-'));
  try {
    const dir = path.join(work, source.version);
    const info = await writeBaseModel(source, dir);
    try {
      const record = await registry.publishBase(dir);
      return { status: 'published', name: registry.name, version: source.version, registry: registry.location, info, record };
    } catch (err) {
      // Another import of the same weights may have finished first.
      const found = err instanceof VersionExistsError ? await existing(registry, source.version) : null;
      if (!found) throw err;
      return found;
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function existing(registry: ModelRegistry, version: string): Promise<BaseImportResult | null> {
  const record = await registry.getPublished(version);
  if (!record) return null;
  const info = await registry.getBaseManifest(version);
  if (!info) throw new Error(`${registry.name}@${version} is published at ${registry.location} but holds no base model (no base.json)`);
  return { status: 'exists', name: registry.name, version, registry: registry.location, info, record };
}

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { baseModelName, ModelVersionId } from '@pneumoscreen/contracts';
import type { ModelRegistry } from '@pneumoscreen/registry';
import { BASE_MODEL_FILE } from '@pneumoscreen/model-format';
import { readBaseManifest } from '@pneumoscreen/registry';
import type { Backbone } from '../training/backbones';

export interface BaseModelRegistry {
  open: (name: string) => ModelRegistry;
  /** Where downloaded versions are kept (MODEL_CACHE_DIR). */
  cacheDir: string;
}

/**
 * The folder of the base model `ref` names for training on `backbone`: a local folder (model.json
 * and its weights; base.json when `models import` wrote it), or else a version of
 * baseModelName(architecture) in the registry, downloaded and verified into the cache. A base.json
 * for another architecture or input than the backbone's is refused. `registry` is asked for only
 * when `ref` is no folder, so training from a folder needs no registry settings.
 */
export async function resolveBaseModel(ref: string, backbone: Backbone, registry: () => BaseModelRegistry | null): Promise<string> {
  const folder = path.resolve(ref);
  const isFolder = await fs.stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const dir = isFolder ? folder : await download(ref, backbone, registry);
  if (
    await fs.access(path.join(dir, BASE_MODEL_FILE)).then(
      () => true,
      () => false,
    )
  ) {
    const base = await readBaseManifest(dir);
    const fits =
      base.architecture === backbone.architecture && JSON.stringify(base.preprocessing) === JSON.stringify(backbone.preprocessing);
    if (!fits) {
      throw new Error(
        `base model ${base.version} (${dir}) is ${base.architecture} with ${JSON.stringify(base.preprocessing)}; the ${backbone.architecture} backbone needs ${JSON.stringify(backbone.preprocessing)}`,
      );
    }
  }
  return dir;
}

async function download(ref: string, backbone: Backbone, registry: () => BaseModelRegistry | null): Promise<string> {
  if (!ModelVersionId.safeParse(ref).success) throw new Error(`base model "${ref}" is neither a folder nor a version id`);
  const r = registry();
  if (!r) throw new Error(`base model "${ref}" is not a folder, and MODEL_REGISTRY is not set to look it up as a version`);
  return r.open(baseModelName(backbone.architecture)).download(ref, r.cacheDir);
}

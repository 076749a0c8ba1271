import * as path from 'node:path';
import type { ModelManifest } from '@pneumoscreen/contracts';
import { readManifest } from '@pneumoscreen/model-format';
import type { ModelEngine } from './engine/engine';
import { loadEngine, type EngineOptions } from './engine/select-engine';

/** Loads a version folder (manifest.json + TF.js layers model) into the engine `opts.engine`
 * names (default `auto`: the fastest that starts on this host). */
export async function loadModelVersion(dir: string, opts: EngineOptions = {}): Promise<{ manifest: ModelManifest; engine: ModelEngine }> {
  const manifest = await readManifest(dir);
  const engine = await loadEngine(path.resolve(dir), manifest, opts);
  return { manifest, engine };
}

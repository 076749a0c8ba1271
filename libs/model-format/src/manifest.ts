import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelManifest } from '@pneumoscreen/contracts';

export const MANIFEST_FILE = 'manifest.json';
/** In a registry folder, names the version folder in use (one line). */
export const CURRENT_FILE = 'CURRENT';

/**
 * Accepts either a version folder (holds manifest.json) or a registry folder whose `CURRENT` file
 * names a version folder inside it, and returns the version folder.
 */
export async function resolveModelDir(pathOrRegistryDir: string): Promise<string> {
  const dir = path.resolve(pathOrRegistryDir);
  if (await exists(path.join(dir, MANIFEST_FILE))) return dir;
  let current: string;
  try {
    current = (await fs.readFile(path.join(dir, CURRENT_FILE), 'utf8')).trim();
  } catch {
    throw new Error(`${dir} is not a model version (no ${MANIFEST_FILE}) nor a registry (no ${CURRENT_FILE})`);
  }
  // CURRENT must name a sibling folder, never a path that escapes the registry.
  if (!current || current !== path.basename(current) || current === '..' || current === '.') {
    throw new Error(`${path.join(dir, CURRENT_FILE)} must hold a version folder name, got "${current}"`);
  }
  const versionDir = path.join(dir, current);
  if (!(await exists(path.join(versionDir, MANIFEST_FILE)))) {
    throw new Error(`${CURRENT_FILE} names version "${current}" but ${versionDir} has no ${MANIFEST_FILE}`);
  }
  return versionDir;
}

export async function readManifest(versionDir: string): Promise<ModelManifest> {
  const file = path.join(versionDir, MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = ModelManifest.safeParse(json);
  if (!parsed.success) throw new Error(`invalid ${file}: ${parsed.error.message}`);
  return parsed.data;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

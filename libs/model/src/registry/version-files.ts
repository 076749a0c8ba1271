import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ModelVersionId, VersionFilePath, type ModelManifest } from '@pneumoscreen/contracts';
import { MANIFEST_FILE, readManifest } from './load';

/** The registry's record of a published version, written into the version folder last. */
export const PUBLISHED_FILE = 'published.json';

export interface LocalVersionFile {
  /** Relative to the version folder, `/`-separated: the key suffix in the registry. */
  path: string;
  absolute: string;
  size: number;
  sha256: string;
}

const ModelJsonShards = z.object({ weightsManifest: z.array(z.object({ paths: z.array(z.string()) })) });

/**
 * Every file of a local version folder, hashed, after checking that the folder is a whole
 * version: a valid manifest with a registry-safe version id, its model file, and every weight
 * shard the model file names. Hidden files are left out.
 */
export async function collectVersionFiles(dir: string): Promise<{ manifest: ModelManifest; files: LocalVersionFile[] }> {
  const manifest = await readManifest(dir);
  const id = ModelVersionId.safeParse(manifest.version);
  if (!id.success) throw new Error(`${path.join(dir, MANIFEST_FILE)}: version "${manifest.version}" ${id.error.issues[0]!.message}`);

  // A copy downloaded from a registry carries that registry's record; a publish writes its own.
  const paths = (await listFiles(dir)).filter((p) => p !== PUBLISHED_FILE);
  for (const p of paths) {
    const ok = VersionFilePath.safeParse(p);
    if (!ok.success) throw new Error(`${path.join(dir, p)}: the file name ${ok.error.issues[0]!.message}`);
  }
  for (const needed of [manifest.modelFile, ...(await weightShards(dir, manifest.modelFile))]) {
    if (!paths.includes(needed)) throw new Error(`${dir} is not a whole model version: ${needed} is missing`);
  }
  const files = await Promise.all(
    paths.map(async (p) => {
      const absolute = path.join(dir, ...p.split('/'));
      const { size, sha256 } = await hashFile(absolute);
      return { path: p, absolute, size, sha256 };
    }),
  );
  return { manifest, files };
}

export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The weight files a TF.js model file names, relative to the version folder as the loader
 * (directoryLoader) reads them. */
async function weightShards(dir: string, modelFile: string): Promise<string[]> {
  const file = path.join(dir, modelFile);
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the model file ${file}: ${(err as Error).message}`);
  }
  const parsed = ModelJsonShards.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not a TF.js layers model: ${parsed.error.issues[0]!.message}`);
  return parsed.data.weightsManifest.flatMap((g) => g.paths).map((p) => path.posix.normalize(p));
}

async function listFiles(dir: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, relative), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = relative ? `${relative}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, p)));
    else if (e.isFile()) out.push(p);
    else throw new Error(`${path.join(dir, p)} is neither a file nor a folder (a link?): a version holds plain files only`);
  }
  return out.sort();
}

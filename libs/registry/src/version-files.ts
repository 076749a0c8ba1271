import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BaseModelManifest, ModelVersionId, VersionFilePath, type ModelManifest } from '@pneumoscreen/contracts';
import { convertModelDir } from '@pneumoscreen/onnx';
import { BASE_MODEL_FILE, MANIFEST_FILE, ONNX_FILE, PUBLISHED_FILE, readManifest } from '@pneumoscreen/model-format';

/** One file of a version as it will be uploaded. */
export interface VersionFile {
  /** Relative to the version folder, `/`-separated: the key suffix in the registry. */
  path: string;
  size: number;
  sha256: string;
  /** Where the bytes come from, for messages. */
  origin: string;
  read: () => Promise<Buffer>;
}

const ModelJsonShards = z.object({ weightsManifest: z.array(z.object({ paths: z.array(z.string()) })) });

/**
 * Every file of a local classifier version folder, hashed, after checking that the folder is a
 * whole version: a valid manifest with a registry-safe version id, its model file, and every
 * weight shard the model file names. Hidden files are left out.
 */
export async function collectVersionFiles(dir: string): Promise<{ manifest: ModelManifest; files: VersionFile[] }> {
  const manifest = await readManifest(dir);
  return { manifest, files: await collectFiles(dir, manifest.version, manifest.modelFile, MANIFEST_FILE) };
}

/** collectVersionFiles for a base model folder, described by base.json. */
export async function collectBaseModelFiles(dir: string): Promise<{ manifest: BaseModelManifest; files: VersionFile[] }> {
  const manifest = await readBaseManifest(dir);
  return { manifest, files: await collectFiles(dir, manifest.version, manifest.modelFile, BASE_MODEL_FILE) };
}

export async function readBaseManifest(dir: string): Promise<BaseModelManifest> {
  const file = path.join(dir, BASE_MODEL_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = BaseModelManifest.safeParse(json);
  if (!parsed.success) throw new Error(`invalid ${file}: ${parsed.error.message}`);
  return parsed.data;
}

/** The ONNX export of a classifier version, made in memory so that the folder, which may be a
 * committed release, is left as it is. */
export async function onnxExportFile(dir: string, manifest: ModelManifest): Promise<VersionFile> {
  let onnx: Uint8Array;
  try {
    onnx = await convertModelDir(dir, manifest.modelFile);
  } catch (err) {
    throw new Error(
      `cannot publish ${manifest.name}@${manifest.version}: a version is published with its ONNX export (${ONNX_FILE}) and this model cannot be exported: ${(err as Error).message}`,
    );
  }
  const body = Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength);
  return {
    path: ONNX_FILE,
    size: body.length,
    sha256: sha256(body),
    origin: `the ONNX export of ${path.join(dir, manifest.modelFile)}`,
    read: async () => body,
  };
}

async function collectFiles(dir: string, version: string, modelFile: string, descriptor: string): Promise<VersionFile[]> {
  const id = ModelVersionId.safeParse(version);
  if (!id.success) throw new Error(`${path.join(dir, descriptor)}: version "${version}" ${id.error.issues[0]!.message}`);

  // A copy downloaded from a registry carries that registry's record; a publish writes its own.
  const paths = (await listFiles(dir)).filter((p) => p !== PUBLISHED_FILE);
  for (const p of paths) {
    const ok = VersionFilePath.safeParse(p);
    if (!ok.success) throw new Error(`${path.join(dir, p)}: the file name ${ok.error.issues[0]!.message}`);
  }
  for (const needed of [modelFile, ...(await weightShards(dir, modelFile))]) {
    if (!paths.includes(needed)) throw new Error(`${dir} is not a whole model version: ${needed} is missing`);
  }
  return Promise.all(
    paths.map(async (p) => {
      const absolute = path.join(dir, ...p.split('/'));
      const { size, sha256 } = await hashFile(absolute);
      return { path: p, size, sha256, origin: absolute, read: () => fs.readFile(absolute) };
    }),
  );
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

export function contentType(file: string): string {
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.png')) return 'image/png';
  return 'application/octet-stream';
}

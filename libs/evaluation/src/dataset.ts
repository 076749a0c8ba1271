import { createHash } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';

export const CLASS_NAMES = ['NORMAL', 'PNEUMONIA'] as const;
const IMAGE_EXTENSIONS = /\.(jpe?g|png|dcm)$/i;

export interface LabelledImage {
  /** Absolute path. */
  path: string;
  /** 0 = NORMAL, 1 = PNEUMONIA. */
  label: 0 | 1;
  /** SHA-256 of the file bytes, hex: cache key and duplicate detector. */
  sha256: string;
}

/**
 * Every JPEG/PNG under a `NORMAL/` or `PNEUMONIA/` folder at any depth of `root` (so both
 * `root/NORMAL` and `root/train/NORMAL` layouts work), sorted by path so that everything derived
 * from the listing is reproducible.
 */
export async function listDataset(root: string): Promise<LabelledImage[]> {
  const files: Array<{ path: string; label: 0 | 1 }> = [];
  const isDir = await fs.stat(root).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new Error(`data folder ${root} does not exist or is not a folder`);
  await walk(path.resolve(root), undefined, files);
  if (files.length === 0) throw new Error(`no images under NORMAL/ or PNEUMONIA/ folders in ${root}`);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const images: LabelledImage[] = [];
  for (const file of files) {
    const bytes = await fs.readFile(file.path);
    images.push({ ...file, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return images;
}

async function walk(dir: string, label: 0 | 1 | undefined, out: Array<{ path: string; label: 0 | 1 }>): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const index = CLASS_NAMES.indexOf(entry.name as (typeof CLASS_NAMES)[number]);
      await walk(full, index === -1 ? label : (index as 0 | 1), out);
    } else if (label !== undefined && IMAGE_EXTENSIONS.test(entry.name) && (await isFile(full, entry))) {
      out.push({ path: full, label });
    }
  }
}

/** Symlinked files count (curated subsets are often links into a full copy); symlinked folders are
 * not followed, so a link cycle cannot make the walk endless. */
async function isFile(full: string, entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  return (
    entry.isSymbolicLink() &&
    (await fs.stat(full).then(
      (s) => s.isFile(),
      () => false,
    ))
  );
}

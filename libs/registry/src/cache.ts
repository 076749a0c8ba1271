import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PublishedVersion } from '@pneumoscreen/contracts';
import { PUBLISHED_FILE } from '@pneumoscreen/model-format';
import { hashFile, sha256 } from './version-files';

type PublishedFile = PublishedVersion['files'][number];

/**
 * Makes `<modelCacheDir>/<version>/` a verified copy of a published version and returns it.
 * A copy already there is reused when its record matches and every file still hashes right.
 * Otherwise every file is fetched into a hidden folder, checked against the record, and the
 * folder is renamed into place, so a worker never loads a half-downloaded or altered version.
 */
export async function downloadToCache(
  record: PublishedVersion,
  modelCacheDir: string,
  fetchFile: (file: PublishedFile) => Promise<Buffer>,
): Promise<string> {
  const finalDir = path.join(modelCacheDir, record.version);
  if (await isVerifiedCopy(finalDir, record)) return finalDir;
  await fs.mkdir(modelCacheDir, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(modelCacheDir, `.${record.version}.download-`));
  try {
    for (const file of record.files) {
      let body: Buffer;
      try {
        body = await fetchFile(file);
      } catch (err) {
        throw new Error(`cannot download ${record.version}/${file.path}: ${(err as Error).message}`);
      }
      if (body.length !== file.size || sha256(body) !== file.sha256) {
        throw new Error(
          `${record.version}/${file.path} as downloaded does not match its published size and SHA-256: the stored copy is damaged or was altered`,
        );
      }
      const target = path.join(tmp, ...file.path.split('/'));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, body);
    }
    await fs.writeFile(path.join(tmp, PUBLISHED_FILE), JSON.stringify(record, null, 2) + '\n');
    // A damaged copy is in the way. Checked again just before: another worker sharing this cache
    // may have put a good one there meanwhile.
    if (!(await isVerifiedCopy(finalDir, record))) await fs.rm(finalDir, { recursive: true, force: true });
    try {
      await fs.rename(tmp, finalDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another worker's rename won the race; its copy serves as well as ours.
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isVerifiedCopy(finalDir, record))) return finalDir;
      throw err;
    }
    return finalDir;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function isVerifiedCopy(dir: string, record: PublishedVersion): Promise<boolean> {
  let local: PublishedVersion;
  try {
    local = PublishedVersion.parse(JSON.parse(await fs.readFile(path.join(dir, PUBLISHED_FILE), 'utf8')));
  } catch {
    return false;
  }
  if (JSON.stringify(local) !== JSON.stringify(record)) return false;
  for (const file of record.files) {
    const actual = await hashFile(path.join(dir, ...file.path.split('/'))).catch(() => null);
    if (actual?.size !== file.size || actual.sha256 !== file.sha256) return false;
  }
  return true;
}

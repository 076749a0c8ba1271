import { randomBytes } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import {
  ObjectNotFoundError,
  ObjectTooLargeError,
  type ObjectHead,
  type ObjectStore,
  type ObjectSummary,
  type StoredObject,
} from '@pneumoscreen/storage';

/**
 * An ObjectStore on a local folder, for a registry that works offline: bucket B is the folder
 * `<root>/B` and key K the file `<root>/B/K`. Writes go to a hidden file and are renamed into
 * place, so a reader sees a whole object or none; hidden names are therefore not valid keys.
 * ETags come from size and modification time, so listing a folder of weights reads no weights.
 */
export class DirectoryObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  async getObject(bucket: string, key: string, { maxBytes }: { maxBytes: number }): Promise<StoredObject> {
    const file = this.file(bucket, key);
    const stat = await fileStat(file);
    if (!stat) throw new ObjectNotFoundError(bucket, key);
    if (stat.size > maxBytes) throw new ObjectTooLargeError(bucket, key, stat.size, maxBytes);
    const body = await fs.readFile(file);
    // Replaced since stat: the rename that replaced it left a new file, never a partial one.
    if (body.length > maxBytes) throw new ObjectTooLargeError(bucket, key, body.length, maxBytes);
    return { body, etag: etag(stat) };
  }

  async putObject(bucket: string, key: string, body: Buffer | string): Promise<{ etag: string }> {
    const file = this.file(bucket, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.writeFile(tmp, body);
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return { etag: etag(await fs.stat(file)) };
  }

  async *listObjects(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    const bucketDir = path.join(this.root, checkedSegment(bucket, 'bucket'));
    const keys: string[] = [];
    // Only the folders that can hold keys with this prefix are walked.
    const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(path.join(bucketDir, start), start, keys);
    for (const key of keys.filter((k) => k.startsWith(prefix)).sort()) {
      const stat = await fileStat(path.join(bucketDir, key));
      // Gone since the walk: S3 would not list it either.
      if (stat) yield { key, etag: etag(stat), size: stat.size, lastModified: stat.mtime };
    }
  }

  async headObject(bucket: string, key: string): Promise<ObjectHead | null> {
    const stat = await fileStat(this.file(bucket, key));
    return stat && { etag: etag(stat), size: stat.size };
  }

  private file(bucket: string, key: string): string {
    const segments = key.split('/');
    for (const s of segments) checkedSegment(s, `key "${key}"`);
    return path.join(this.root, checkedSegment(bucket, 'bucket'), ...segments);
  }
}

/** A segment that is empty, hidden or a path would name some other file than the key says. */
function checkedSegment(segment: string, what: string): string {
  if (!segment || segment.startsWith('.') || segment.includes(path.sep) || segment.includes('\\')) {
    throw new Error(`${what}: "${segment}" cannot be stored in a folder (empty, hidden or a path)`);
  }
  return segment;
}

async function fileStat(file: string): Promise<Stats | null> {
  const stat = await fs.stat(file).catch(orNullIfMissing);
  return stat?.isFile() ? stat : null;
}

async function walk(dir: string, relative: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(orNullIfMissing);
  if (!entries) return;
  for (const e of entries) {
    // Hidden entries are writes in progress.
    if (e.name.startsWith('.')) continue;
    const key = relative ? `${relative}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(path.join(dir, e.name), key, out);
    else if (e.isFile()) out.push(key);
  }
}

function orNullIfMissing(err: NodeJS.ErrnoException): null {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
  throw err;
}

function etag(stat: Stats): string {
  return `${stat.size.toString(16)}-${Math.round(stat.mtimeMs * 1000).toString(16)}`;
}

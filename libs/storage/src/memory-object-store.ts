import { ObjectNotFoundError, type ObjectStore, type ObjectSummary } from './object-store';

/** Objects in a map keyed `bucket/key`, for unit tests of code that reads and writes small
 * objects. Every ETag is `e`; sizes are 1: nothing here depends on them. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, string>();

  async getObject(bucket: string, key: string) {
    const body = this.objects.get(`${bucket}/${key}`);
    if (body === undefined) throw new ObjectNotFoundError(bucket, key);
    return { body: Buffer.from(body), etag: 'e' };
  }

  async putObject(bucket: string, key: string, body: Buffer | string) {
    this.objects.set(`${bucket}/${key}`, body.toString());
    return { etag: 'e' };
  }

  async *listObjects(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    for (const k of [...this.objects.keys()].sort()) {
      if (k.startsWith(`${bucket}/${prefix}`)) yield { key: k.slice(bucket.length + 1), etag: 'e', size: 1, lastModified: new Date(0) };
    }
  }

  async headObject(bucket: string, key: string) {
    return this.objects.has(`${bucket}/${key}`) ? { etag: 'e', size: 1 } : null;
  }
}

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { encodeHalf } from './float16';

const HASH_BYTES = 32;
/** Records read per disk read when opening: large enough to be fast, small enough to not double
 * the memory a gigabyte-sized cache takes. */
const READ_RECORDS = 64;

/**
 * Append-only file of (image SHA-256, activations as float16) records for one backbone cut and
 * input variant. Appending per batch means an interrupted extraction resumes where it stopped.
 * One process writes a cache at a time.
 */
export class FeatureCache {
  /** Appends run one after another: Node writes a large buffer in 512 KiB chunks, so two
   * concurrent appends would interleave records. */
  private appending: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly dim: number,
    private readonly entries: Map<string, Uint16Array>,
  ) {}

  static async open(dir: string, key: string, dim: number): Promise<FeatureCache> {
    const file = path.join(dir, `activations-${key}.f16`);
    await fs.mkdir(dir, { recursive: true });
    const entries = new Map<string, Uint16Array>();
    const recordBytes = HASH_BYTES + dim * 2;
    const handle = await fs.open(file, 'a+');
    try {
      const { size } = await handle.stat();
      // A crash mid-append leaves a partial last record; the whole ones before it are still good.
      const whole = Math.floor(size / recordBytes);
      const buffer = Buffer.alloc(READ_RECORDS * recordBytes);
      for (let r = 0; r < whole; r += READ_RECORDS) {
        const count = Math.min(READ_RECORDS, whole - r);
        await handle.read(buffer, 0, count * recordBytes, r * recordBytes);
        for (let i = 0; i < count; i++) {
          const at = i * recordBytes;
          const values = new Uint16Array(dim);
          Buffer.from(values.buffer).set(buffer.subarray(at + HASH_BYTES, at + recordBytes));
          entries.set(buffer.subarray(at, at + HASH_BYTES).toString('hex'), values);
        }
      }
      if (whole * recordBytes !== size) await handle.truncate(whole * recordBytes);
    } finally {
      await handle.close();
    }
    return new FeatureCache(file, dim, entries);
  }

  /** Float16 bit patterns (see float16.ts). */
  get(sha256: string): Uint16Array | undefined {
    return this.entries.get(sha256);
  }

  async add(items: ReadonlyArray<{ sha256: string; vector: Float32Array }>): Promise<void> {
    const chunks: Buffer[] = [];
    for (const { sha256, vector } of items) {
      if (vector.length !== this.dim) throw new Error(`feature vector has ${vector.length} values, cache holds ${this.dim}`);
      if (this.entries.has(sha256)) continue;
      const half = encodeHalf(vector);
      this.entries.set(sha256, half);
      chunks.push(Buffer.from(sha256, 'hex'), Buffer.from(half.buffer, half.byteOffset, half.byteLength));
    }
    if (chunks.length === 0) return;
    const body = Buffer.concat(chunks);
    const appended = this.appending.then(() => fs.appendFile(this.file, body));
    this.appending = appended.catch(() => undefined);
    await appended;
  }
}

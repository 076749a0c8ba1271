import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const HASH_BYTES = 32;

/**
 * Append-only file of (image SHA-256, feature vector) records for one backbone + augmentation
 * variant. Appending per batch means an interrupted extraction resumes where it stopped.
 */
export class FeatureCache {
  private constructor(
    readonly file: string,
    readonly dim: number,
    private readonly entries: Map<string, Float32Array>,
  ) {}

  static async open(dir: string, key: string, dim: number): Promise<FeatureCache> {
    const file = path.join(dir, `features-${key}.bin`);
    const entries = new Map<string, Float32Array>();
    const recordBytes = HASH_BYTES + dim * 4;
    let bytes: Buffer | undefined;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (bytes) {
      // A crash mid-append leaves a partial last record; the whole ones before it are still good.
      const whole = Math.floor(bytes.length / recordBytes);
      for (let r = 0; r < whole; r++) {
        const at = r * recordBytes;
        const vector = new Float32Array(dim);
        Buffer.from(vector.buffer).set(bytes.subarray(at + HASH_BYTES, at + recordBytes));
        entries.set(bytes.subarray(at, at + HASH_BYTES).toString('hex'), vector);
      }
      if (whole * recordBytes !== bytes.length) await fs.truncate(file, whole * recordBytes);
    }
    await fs.mkdir(dir, { recursive: true });
    return new FeatureCache(file, dim, entries);
  }

  get(sha256: string): Float32Array | undefined {
    return this.entries.get(sha256);
  }

  async add(items: ReadonlyArray<{ sha256: string; vector: Float32Array }>): Promise<void> {
    const chunks: Buffer[] = [];
    for (const { sha256, vector } of items) {
      if (vector.length !== this.dim) throw new Error(`feature vector has ${vector.length} values, cache holds ${this.dim}`);
      if (this.entries.has(sha256)) continue;
      this.entries.set(sha256, vector);
      chunks.push(Buffer.from(sha256, 'hex'), Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
    }
    if (chunks.length) await fs.appendFile(this.file, Buffer.concat(chunks));
  }
}

import type { z } from 'zod';
import { ObjectNotFoundError, type ObjectStore } from '@pneumoscreen/storage';

/** Manifests, channel pointers and publish records are small; anything bigger is not one. */
const RECORD_MAX_BYTES = 1024 * 1024;

/** The registry's small JSON objects (manifests, pointers, records, calibrations): read back only
 * when they parse and match their schema, so a damaged one fails with its location named. */
export class JsonRecords {
  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    private readonly describe: (key: string) => string,
  ) {}

  /** The record at `key`, or null when there is none. */
  async get<T extends z.ZodTypeAny>(key: string, schema: T): Promise<z.output<T> | null> {
    let body: Buffer;
    try {
      body = (await this.store.getObject(this.bucket, key, { maxBytes: RECORD_MAX_BYTES })).body;
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return null;
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new Error(`${this.describe(key)} is not JSON: ${(err as Error).message}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new Error(`${this.describe(key)} is invalid: ${parsed.error.message}`);
    return parsed.data;
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.store.putObject(this.bucket, key, JSON.stringify(value, null, 2) + '\n', 'application/json');
  }
}

/** `value` as `schema` reads it, or an error naming `what` it was meant to be. */
export function checked<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: string, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`${what} "${value}" ${r.error.issues[0]!.message}`);
  return r.data;
}

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Mirrors RegistryLocation in @pneumoscreen/registry: config depends on no other lib. */
export type ModelRegistryLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'directory'; dir: string };

/** `MODEL_REGISTRY`: `s3://bucket/prefix` (the S3_* settings reach the bucket), or a local folder
 * as `file:///path` or a plain path, for offline use. */
export function parseModelRegistry(raw: string, ctx: z.RefinementCtx): ModelRegistryLocation {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(raw);
  if (s3) {
    const [, bucket, path] = s3 as unknown as [string, string, string];
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      ctx.addIssue({ code: 'custom', message: `"${bucket}" is not an S3 bucket name` });
      return z.NEVER;
    }
    const prefix = path.replace(/\/+$/, '');
    return { kind: 's3', bucket, prefix: prefix ? `${prefix}/` : '' };
  }
  if (raw.startsWith('file://')) {
    try {
      return { kind: 'directory', dir: fileURLToPath(raw) };
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    ctx.addIssue({ code: 'custom', message: 'must be s3://bucket/prefix, file:///path or a folder path' });
    return z.NEVER;
  }
  return { kind: 'directory', dir: resolve(raw) };
}

import { z } from 'zod';
import { ModelManifest } from './model-manifest';

// Names, versions and channels become S3 key segments and local folder names: nothing that could
// climb out of a folder (`..`), hide (`.x`) or need escaping.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Key segments beside the versions under `<name>/`; no version may take one of these names. */
export const REGISTRY_RESERVED_SEGMENTS = ['channels', 'calibrations', 'scopes'] as const;

export const ModelName = z.string().regex(SEGMENT, 'must be letters, digits, ".", "_" or "-", starting with a letter or digit');

export const ModelVersionId = z
  .string()
  .regex(SEGMENT, 'must be letters, digits, ".", "_" or "-", starting with a letter or digit')
  .refine((v) => !(REGISTRY_RESERVED_SEGMENTS as readonly string[]).includes(v), 'is a reserved name in the registry');

export const ChannelName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lower-case letters, digits or "-", starting with a letter');

/** What a channel (`production`, `canary`, …) points at: `models/<name>/channels/<channel>.json`. */
export const ChannelPointer = z.object({
  version: ModelVersionId,
  updatedAt: z.string().datetime(),
  /** The version this one replaced: what a rollback goes back to. */
  previousVersion: ModelVersionId.nullable(),
  /** Share of studies routed here, for channels that take a share (canary). */
  fraction: z.number().gt(0).max(1).optional(),
});
export type ChannelPointer = z.infer<typeof ChannelPointer>;

/** A relative POSIX path inside a version folder, every segment a plain name. */
export const VersionFilePath = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/, 'must be a relative path of plain names');

/** `models/<name>/<version>/published.json`, written last: a version without it is an
 * interrupted publish, invisible to readers. Downloads check every file against it. */
export const PublishedVersion = z.object({
  name: ModelName,
  version: ModelVersionId,
  publishedAt: z.string().datetime(),
  files: z
    .array(z.object({ path: VersionFilePath, size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .min(1)
    .refine((files) => new Set(files.map((f) => f.path)).size === files.length, 'lists a file twice'),
});
export type PublishedVersion = z.infer<typeof PublishedVersion>;

/** One row of `pneumoscreen models list --json`. */
export const ModelVersionSummary = z.object({
  version: ModelVersionId,
  architecture: ModelManifest.shape.architecture,
  createdAt: z.string(),
  parentVersion: z.string().nullable(),
  threshold: z.number(),
  /** The manifest's `validation` metrics, when it has them. */
  validation: z.object({ auc: z.number(), sensitivity: z.number(), specificity: z.number() }).nullable(),
  /** Channels pointing at this version. */
  channels: z.array(ChannelName),
  /** Whether it was published with an int8 model (`models quantize`), which ENGINE=onnxruntime-int8 needs. */
  int8: z.boolean(),
});
export type ModelVersionSummary = z.infer<typeof ModelVersionSummary>;

/** `pneumoscreen models list --json`: versions newest first, channels by name. */
export const ModelRegistryListing = z.object({
  name: ModelName,
  registry: z.string(),
  channels: z.record(ChannelName, ChannelPointer),
  versions: z.array(ModelVersionSummary),
});
export type ModelRegistryListing = z.infer<typeof ModelRegistryListing>;

/** The Redis pub/sub message that tells workers and ingest a channel changed. It is only a hint to
 * re-read the channel objects, which stay the truth: a lost message costs one polling interval. */
export const ChannelChangeNotice = z.object({ model: ModelName, channel: ChannelName, version: ModelVersionId });
export type ChannelChangeNotice = z.infer<typeof ChannelChangeNotice>;

/** The pub/sub channel for ChannelChangeNotice, per deployment (REDIS_PREFIX). */
export function channelNoticeTopic(redisPrefix: string): string {
  return `${redisPrefix}:model-channels`;
}

import * as path from 'node:path';
import {
  BaseModelManifest,
  ChannelName,
  ChannelPointer,
  ModelManifest,
  ModelName,
  ModelVersionId,
  PublishedVersion,
  baseModelName,
  type ModelRegistryListing,
} from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import { ONNX_FILE, MANIFEST_FILE, readManifest, resolveModelDir, BASE_MODEL_FILE, PUBLISHED_FILE } from '@pneumoscreen/model-format';
import { downloadToCache } from './cache';
import { checked, JsonRecords } from './json-records';
import {
  collectBaseModelFiles,
  collectVersionFiles,
  contentType,
  onnxExportFile,
  readBaseManifest,
  sha256,
  type VersionFile,
} from './version-files';
import { SiteScopeRecords } from './site-scope-records';
import { SiteCalibrationRecords } from './site-calibration-records';
import { CHANNELS, namesInListing, summarise } from './version-summary';

export interface ModelRegistryOptions {
  store: ObjectStore;
  bucket: string;
  /** '' or ending in '/': versions live at `<prefix><name>/<version>/`. */
  prefix: string;
  name: string;
  /** How messages name an object; `s3://bucket/key` by default. */
  describeKey?: (key: string) => string;
  now?: () => Date;
}

export class VersionExistsError extends Error {
  override name = 'VersionExistsError';
}

/**
 * One model's versions and channels in an object store. Versions are immutable: a version is
 * visible once its `published.json` exists, and publishing it again is refused. Channels are one
 * small JSON object each, replaced whole by a single PUT, so a reader sees the old pointer or the
 * new one. The ObjectStore has no conditional writes, so two publishes of one version, or two
 * promotes of one channel, racing each other end with the last writer's; operators serialise them.
 */
export class ModelRegistry {
  readonly name: string;
  private readonly store: ObjectStore;
  private readonly bucket: string;
  private readonly base: string;
  private readonly describe: (key: string) => string;
  private readonly now: () => Date;
  private readonly records: JsonRecords;
  /** Each version's thresholds for sites, kept beside the versions. */
  readonly calibrations: SiteCalibrationRecords;
  /** Each version's intended use as widened for sites. */
  readonly scopes: SiteScopeRecords;

  constructor(options: ModelRegistryOptions) {
    this.name = checked(ModelName, options.name, 'model name');
    if (options.prefix && !options.prefix.endsWith('/')) throw new Error(`registry prefix "${options.prefix}" must end with "/"`);
    this.store = options.store;
    this.bucket = options.bucket;
    this.base = `${options.prefix}${this.name}/`;
    this.describe = options.describeKey ?? ((key) => `s3://${options.bucket}/${key}`);
    this.now = options.now ?? (() => new Date());
    this.records = new JsonRecords(this.store, this.bucket, this.describe);
    this.calibrations = new SiteCalibrationRecords({
      store: this.store,
      bucket: this.bucket,
      base: this.base,
      model: this.name,
      records: this.records,
      describe: this.describe,
      location: this.location,
      isPublished: async (version) => (await this.getPublished(version)) !== null,
    });
    this.scopes = new SiteScopeRecords({
      base: this.base,
      records: this.records,
      model: this.name,
      location: this.location,
      isPublished: async (version) => (await this.getPublished(version)) !== null,
    });
  }

  /** Where this model's versions live, for messages and listings. */
  get location(): string {
    return this.describe(this.base);
  }

  /** Uploads a local version folder (or a folder whose CURRENT names one, see resolveModelDir)
   * with its ONNX export, so that ENGINE=onnxruntime loads it as published. A folder without
   * model.onnx gets one converted in memory; one it brings is kept as it is. A model the exporter
   * cannot convert is not published. */
  async publish(dir: string): Promise<PublishedVersion> {
    const versionDir = await resolveModelDir(dir);
    const { manifest, files } = await collectVersionFiles(versionDir);
    if (manifest.name !== this.name) {
      throw new Error(
        `${path.join(dir, MANIFEST_FILE)} names model "${manifest.name}" but this registry holds "${this.name}" (MODEL_NAME)`,
      );
    }
    await this.refuseExisting(manifest.version);
    const onnx = files.some((f) => f.path === ONNX_FILE) ? [] : [await onnxExportFile(versionDir, manifest)];
    return this.upload(manifest.version, [...files, ...onnx], MANIFEST_FILE);
  }

  /** Uploads a base model folder (base.json, model.json, weights) under its own model name,
   * baseModelName(architecture), which this registry must hold. */
  async publishBase(dir: string): Promise<PublishedVersion> {
    const { manifest, files } = await collectBaseModelFiles(path.resolve(dir));
    const expected = baseModelName(manifest.architecture);
    if (expected !== this.name) {
      throw new Error(
        `${path.join(dir, BASE_MODEL_FILE)} is a ${manifest.architecture} base model, kept under the name "${expected}", but this registry holds "${this.name}"`,
      );
    }
    await this.refuseExisting(manifest.version);
    return this.upload(manifest.version, files, BASE_MODEL_FILE);
  }

  /** The base.json of a published base model version, or null when there is none. */
  async getBaseManifest(version: string): Promise<BaseModelManifest | null> {
    if (!(await this.getPublished(version))) return null;
    return this.records.get(this.versionKey(version, BASE_MODEL_FILE), BaseModelManifest);
  }

  /** The publish record of a version, or null when it is not (wholly) published. */
  async getPublished(version: string): Promise<PublishedVersion | null> {
    return this.records.get(this.versionKey(checked(ModelVersionId, version, 'version'), PUBLISHED_FILE), PublishedVersion);
  }

  async getChannel(channel: string): Promise<ChannelPointer | null> {
    return this.records.get(this.channelKey(channel), ChannelPointer);
  }

  /** Points a channel at a published version. Pointing it where it already points (same
   * fraction) changes nothing, so the rollback target survives a repeated promote. */
  async setChannel(
    channel: string,
    version: string,
    options: { fraction?: number } = {},
  ): Promise<{ pointer: ChannelPointer; changed: boolean }> {
    const key = this.channelKey(channel);
    await this.requirePublished(version);
    const current = await this.getChannel(channel);
    if (current?.version === version && current.fraction === options.fraction) return { pointer: current, changed: false };
    const pointer = ChannelPointer.parse({
      version,
      updatedAt: this.now().toISOString(),
      previousVersion: current?.version === version ? current.previousVersion : (current?.version ?? null),
      ...(options.fraction === undefined ? {} : { fraction: options.fraction }),
    });
    await this.records.put(key, pointer);
    return { pointer, changed: true };
  }

  /** Every published version (newest first, with key metrics) and every channel. */
  async list(): Promise<ModelRegistryListing> {
    const keys: string[] = [];
    for await (const o of this.store.listObjects(this.bucket, this.base)) keys.push(o.key.slice(this.base.length));
    const { versions, channels, withInt8 } = namesInListing(keys);
    const pointers: Record<string, ChannelPointer> = {};
    for (const [c, p] of await Promise.all(channels.map(async (c) => [c, await this.getChannel(c)] as const))) {
      if (p) pointers[c] = p;
    }
    const summaries = await Promise.all(versions.map(async (v) => summarise(await this.getManifest(v), pointers, withInt8.has(v))));
    summaries.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.version.localeCompare(a.version));
    return { name: this.name, registry: this.location, channels: pointers, versions: summaries };
  }

  /** A verified local copy of a published version at `<cacheDir>/<name>/<version>/`, ready for
   * loadModelVersion (or, for a base model, for training). */
  async download(version: string, cacheDir: string): Promise<string> {
    const record = await this.requirePublished(version);
    const dir = await downloadToCache(
      record,
      path.join(cacheDir, this.name),
      async (f) => (await this.store.getObject(this.bucket, this.versionKey(version, f.path), { maxBytes: f.size })).body,
    );
    const base = record.files.some((f) => f.path === BASE_MODEL_FILE);
    const described = base ? await readBaseManifest(dir) : await readManifest(dir);
    const name = 'kind' in described ? baseModelName(described.architecture) : described.name;
    if (name !== this.name || described.version !== version) {
      throw new Error(
        `${this.describe(this.versionKey(version, base ? BASE_MODEL_FILE : MANIFEST_FILE))} describes ${name}@${described.version}, not ${this.name}@${version}`,
      );
    }
    return dir;
  }

  private async requirePublished(version: string): Promise<PublishedVersion> {
    const record = await this.getPublished(version);
    if (!record) throw new Error(`${this.name} has no published version "${version}" at ${this.location}`);
    return record;
  }

  private async refuseExisting(version: string): Promise<void> {
    if (await this.getPublished(version)) {
      throw new VersionExistsError(
        `${this.name} version ${version} is already published at ${this.describe(this.versionKey(version, ''))}; versions are immutable, so give the new one a new version`,
      );
    }
  }

  /** Uploads `files` with the descriptor (manifest) last but one and the record last: a reader
   * that finds them finds the rest. */
  private async upload(version: string, files: VersionFile[], descriptor: string): Promise<PublishedVersion> {
    const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const f of [...sorted.filter((f) => f.path !== descriptor), ...sorted.filter((f) => f.path === descriptor)]) {
      const body = await f.read();
      if (sha256(body) !== f.sha256) throw new Error(`${f.origin} changed while it was being published`);
      await this.store.putObject(this.bucket, this.versionKey(version, f.path), body, contentType(f.path));
    }
    const record = PublishedVersion.parse({
      name: this.name,
      version,
      publishedAt: this.now().toISOString(),
      files: sorted.map(({ path: p, size, sha256 }) => ({ path: p, size, sha256 })),
    });
    await this.records.put(this.versionKey(version, PUBLISHED_FILE), record);
    return record;
  }

  private async getManifest(version: string): Promise<ModelManifest> {
    const manifest = await this.records.get(this.versionKey(version, MANIFEST_FILE), ModelManifest);
    if (!manifest) throw new Error(`${this.describe(this.versionKey(version, MANIFEST_FILE))} is missing from a published version`);
    return manifest;
  }

  private versionKey(version: string, file: string): string {
    return `${this.base}${version}/${file}`;
  }

  private channelKey(channel: string): string {
    return `${this.base}${CHANNELS}/${checked(ChannelName, channel, 'channel')}.json`;
  }
}

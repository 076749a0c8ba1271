import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AppConfig } from '@pneumoscreen/config';
import {
  imageArtefactKey,
  type HeatmapRef,
  type ImageDicomOutputs,
  type ImageJobData,
  type ImageResult,
  type ModelManifest,
  type OutOfScope,
} from '@pneumoscreen/contracts';
import {
  ImageDecodeError,
  decodeToRgb,
  encodePng,
  heatmapOverlay,
  looksLikeDicom,
  readDicomSource,
  secondaryCapture,
  type RgbImage,
} from '@pneumoscreen/imaging';
import { contentFlag, contentVerdict, headerVerdict, intendedUseOf } from '@pneumoscreen/inference';
import { ObjectChangedError, ObjectNotFoundError, ObjectTooLargeError, type ObjectStore } from '@pneumoscreen/storage';
import type { ImageMetrics } from '../metrics/image-metrics';
import { SITE_SCOPES, type SiteScopes } from '../finalise/site-calibrations';
import { CONFIG, IMAGE_METRICS, OBJECT_STORE } from '../tokens';
import type { LoadedModel, Prediction } from './loaded-model';
import { ModelRuntime } from './model-runtime';

/**
 * Downloads, decodes and classifies one image with the version its study is pinned to. An image
 * that cannot be judged (gone, too large, not an image) yields a per-image error and the study
 * goes on; anything else (S3 or model trouble) throws so BullMQ retries the job.
 */
@Injectable()
export class ClassifyImageUseCase {
  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    private readonly model: ModelRuntime,
    @Inject(IMAGE_METRICS) private readonly metrics: ImageMetrics,
    /** How the study's site (its bucket) widened the version's intended use; none without a registry. */
    @Optional() @Inject(SITE_SCOPES) private readonly scopes: SiteScopes = { find: async () => null },
  ) {}

  async execute(job: ImageJobData): Promise<ImageResult> {
    const result = await this.model.withModel(job.modelVersion, (model) => this.classify(job, model));
    this.metrics.record(result);
    return result;
  }

  private async classify(job: ImageJobData, model: LoadedModel): Promise<ImageResult> {
    const { manifest } = model;
    const base = { key: job.key, etag: job.etag, modelVersion: manifest.version, engine: model.engine.name };
    const t0 = performance.now();
    let bytes: Buffer;
    try {
      // The bytes scored are the ones the result names: a replaced object is not scored under the
      // ETag it was recorded with (ingest records the new one as a new image of its study).
      const only = { maxBytes: this.config.worker.maxImageBytes, ifMatch: job.etag, versionId: job.versionId };
      bytes = (await this.store.getObject(job.bucket, job.key, only)).body;
    } catch (e) {
      if (e instanceof ObjectNotFoundError || e instanceof ObjectTooLargeError || e instanceof ObjectChangedError)
        return { ...base, error: e.message };
      throw e;
    }
    const t1 = performance.now();
    // An image the version was not made for gets no score: its header says so before any decoding.
    const site = await this.scopes.find(manifest.version, job.bucket);
    const header = headerVerdict(bytes, intendedUseOf(manifest, site));
    if (header) return { ...notAssessed(base, header), ...NOT_ASSESSED_HEATMAP, ...(await this.dicomOutputs(job, bytes, manifest)) };
    let rgb: Uint8Array;
    try {
      rgb = await decodeToRgb(bytes, manifest.preprocessing.inputSize, {
        maxPixels: this.config.worker.maxImagePixels,
        maxDicomPixels: this.config.worker.maxDicomPixels,
      });
    } catch (e) {
      if (e instanceof ImageDecodeError) return { ...base, error: e.message };
      throw e;
    }
    const t2 = performance.now();
    const p = await model.predict(rgb);
    const timing = { downloadMs: round(t1 - t0), decodeMs: round(t2 - t1), inferenceMs: round(p.inferenceMs), batchSize: p.batchSize };
    const content = contentVerdict(model.guard, p.guard, site);
    if (content)
      return { ...notAssessed(base, content), ...NOT_ASSESSED_HEATMAP, ...(await this.dicomOutputs(job, bytes, manifest)), timing };
    const t3 = performance.now();
    const { ref: heatmap, overlay } = await this.heatmap(job, rgb, manifest.preprocessing.inputSize, p);
    const dicom = await this.dicomOutputs(job, bytes, manifest, overlay);
    if (overlay) Object.assign(timing, { heatmapMs: round(performance.now() - t3) });
    const flag = contentFlag(model.guard, p.guard, site);
    // Each version's own threshold: versions differ in calibration as much as in weights.
    return {
      ...base,
      probability: p.probability,
      decision: p.probability >= manifest.threshold ? 'PNEUMONIA' : 'NORMAL',
      threshold: manifest.threshold,
      ...(flag ? { scopeFlag: flag } : {}),
      heatmap,
      ...dicom,
      timing,
    };
  }

  /** The film as the model saw it with its class-activation map, beside the results. */
  private async heatmap(
    job: ImageJobData,
    rgb: Uint8Array,
    [height, width]: readonly [number, number],
    p: Prediction,
  ): Promise<{ ref: HeatmapRef; overlay?: RgbImage }> {
    if (!p.heatmap) return { ref: { unavailable: 'disabled' } };
    if (typeof p.heatmap === 'string') return { ref: { unavailable: p.heatmap } };
    const key = imageArtefactKey(job.studyId, job.key, 'heatmap.png');
    const overlay = heatmapOverlay({ data: rgb, width, height }, p.heatmap);
    await this.store.putObject(job.bucket, key, await encodePng(overlay), 'image/png');
    return { ref: { key }, overlay };
  }

  /** Marks an image read from DICOM, for the study's SR, and writes its heatmap as a Secondary
   * Capture in the source's study. A file without the UIDs to reference gets neither. */
  private async dicomOutputs(
    job: ImageJobData,
    bytes: Buffer,
    manifest: ModelManifest,
    overlay?: RgbImage,
  ): Promise<{ dicom?: ImageDicomOutputs }> {
    if (!this.config.worker.dicomOutputs || !looksLikeDicom(bytes)) return {};
    const source = readDicomSource(bytes);
    if (!source) return {};
    if (!overlay) return { dicom: {} };
    const key = imageArtefactKey(job.studyId, job.key, 'heatmap.dcm');
    const sc = secondaryCapture(overlay, source, { model: manifest.name, version: manifest.version }, new Date());
    await this.store.putObject(job.bucket, key, sc.file, 'application/dicom');
    return { dicom: { secondaryCapture: { key } } };
  }
}

const NOT_ASSESSED_HEATMAP = { heatmap: { unavailable: 'not-assessed' } } as const;

/** No probability either: a number beside NOT_ASSESSED would be read as a result. */
function notAssessed<T extends object>(base: T, outOfScope: OutOfScope): T & Pick<ImageResult, 'decision' | 'outOfScope'> {
  return { ...base, decision: 'NOT_ASSESSED', outOfScope };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

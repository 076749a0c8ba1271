import { Counter, Histogram, type Registry } from 'prom-client';
import type { ImageResult } from '@pneumoscreen/contracts';

/** What the classify pool reports of every image it judged (see PrometheusImageMetrics). */
export interface ImageMetrics {
  record(result: ImageResult): void;
}

/**
 * Counts and times of classified images, labelled by engine and model version so that a rollout
 * or an engine change shows on a dashboard. Decisions are counted per version too: a version whose
 * share of PNEUMONIA drifts from its predecessor's is worth a look before its metrics say so.
 */
export class PrometheusImageMetrics implements ImageMetrics {
  private readonly classified: Counter<'engine' | 'model_version' | 'decision'>;
  private readonly unreadable: Counter<'engine' | 'model_version'>;
  private readonly outOfScope: Counter<'model_version' | 'reason'>;
  private readonly batchSize: Histogram<'engine'>;
  private readonly inference: Histogram<'engine'>;
  private readonly download: Histogram;
  private readonly decode: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.classified = new Counter({
      name: 'pneumoscreen_images_classified_total',
      help: "Images classified, by engine, model version and decision at the version's own threshold (a site calibration may re-decide it when the study is finalised)",
      labelNames: ['engine', 'model_version', 'decision'],
      registers,
    });
    this.unreadable = new Counter({
      name: 'pneumoscreen_images_unreadable_total',
      help: 'Images the worker could not judge: gone, too large, unreadable, or refused (a DICOM that is not a radiograph)',
      labelNames: ['engine', 'model_version'],
      registers,
    });
    this.outOfScope = new Counter({
      name: 'pneumoscreen_images_out_of_scope_total',
      help: "Images outside their version's intended use (decision NOT_ASSESSED), by model version and reason: adult, lateral, not-chest, not-radiograph, unlike-training-data",
      labelNames: ['model_version', 'reason'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'pneumoscreen_image_batch_size',
      help: 'Size of the batch each image was classified in',
      labelNames: ['engine'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
    // An image's share of its batch's engine time: 1 / mean is the engine's images per second.
    this.inference = new Histogram({
      name: 'pneumoscreen_image_inference_seconds',
      help: "Each image's share of its batch's inference time",
      labelNames: ['engine'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    });
    this.download = new Histogram({
      name: 'pneumoscreen_image_download_seconds',
      help: 'Time to fetch an image from S3',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.decode = new Histogram({
      name: 'pneumoscreen_image_decode_seconds',
      help: 'Time to decode and resize an image',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
  }

  record(r: ImageResult): void {
    const engine = r.engine ?? 'none';
    const version = r.modelVersion ?? 'none';
    if (r.decision) this.classified.inc({ engine, model_version: version, decision: r.decision });
    if (r.error !== undefined) this.unreadable.inc({ engine, model_version: version });
    if (r.outOfScope) this.outOfScope.inc({ model_version: version, reason: r.outOfScope.reason });
    if (!r.timing) return;
    this.download.observe(r.timing.downloadMs / 1000);
    this.decode.observe(r.timing.decodeMs / 1000);
    this.batchSize.observe({ engine }, r.timing.batchSize);
    this.inference.observe({ engine }, r.timing.inferenceMs / r.timing.batchSize / 1000);
  }
}

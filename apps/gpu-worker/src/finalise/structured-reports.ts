import { imageArtefactKey, structuredReportKey, type StudyDicomOutputs, type StudyResult } from '@pneumoscreen/contracts';
import {
  ImageDecodeError,
  readDicomSource,
  SECONDARY_CAPTURE_SOP_CLASS,
  structuredReport,
  type DicomSource,
  type ReportedImage,
} from '@pneumoscreen/imaging';
import { ObjectChangedError, ObjectNotFoundError, ObjectTooLargeError, type RangedObjectStore } from '@pneumoscreen/storage';

export const STRUCTURED_REPORTS = Symbol('STRUCTURED_REPORTS');

/** Writes a study's DICOM SR beside its results. */
export interface StructuredReports {
  /** Undefined when the study has no DICOM image with a decision to report. */
  write(result: StudyResult): Promise<StudyDicomOutputs | undefined>;
}

/** Enough for any header seen in practice; a longer one is read whole. */
const HEADER_BYTES = 256 * 1024;

/**
 * Builds the SR from the decisions in the study's result (after any site calibration) and the
 * headers of the source images and their heatmaps' Secondary Captures, read again from S3: the
 * patient and study attributes travel in no job payload. An SR belongs to one study: when the
 * images are of several StudyInstanceUIDs, it reports those of the one with most images. Images
 * replaced or deleted since they were classified are left out.
 */
export class S3StructuredReports implements StructuredReports {
  constructor(
    private readonly store: RangedObjectStore,
    private readonly modelName: string,
    private readonly maxImageBytes: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async write(result: StudyResult): Promise<StudyDicomOutputs | undefined> {
    const version = result.modelVersion;
    if (!version) return undefined;
    const reported: ReportedImage[] = [];
    for (const image of result.images) {
      if (!image.dicom || !image.decision || !image.modelVersion) continue;
      const source = await this.header(result.bucket, image.key, image.etag);
      if (!source) continue;
      const scKey = image.dicom.secondaryCapture?.key;
      const sc = scKey ? await this.header(result.bucket, scKey) : null;
      reported.push({
        source,
        // The name its artefacts share: ASCII, and no patient data beyond the file's own name.
        trackingId: imageArtefactKey(result.studyId, image.key, 'x').split('/').pop()!.slice(0, -2),
        decision: image.decision,
        probability: image.probability,
        threshold: image.threshold,
        outOfScope: image.outOfScope?.reason,
        scopeFlag: image.scopeFlag?.reason,
        ...(sc ? { heatmap: { ...sc, sopClassUid: SECONDARY_CAPTURE_SOP_CLASS } } : {}),
      });
    }
    const studies = new Map<string, ReportedImage[]>();
    for (const r of reported) studies.set(r.source.studyInstanceUid, [...(studies.get(r.source.studyInstanceUid) ?? []), r]);
    const largest = [...studies.values()].sort((a, b) => b.length - a.length)[0];
    if (!largest) return undefined;
    const key = structuredReportKey(result.studyId);
    const { file } = structuredReport(largest, { model: this.modelName, version }, this.now());
    await this.store.putObject(result.bucket, key, file, 'application/dicom');
    return { structuredReport: { key } };
  }

  /** The DICOM header of an object; null when it is gone, replaced (`etag`) or not DICOM. */
  private async header(bucket: string, key: string, etag?: string): Promise<DicomSource | null> {
    try {
      const head = await this.store.getObjectHead(bucket, key, HEADER_BYTES);
      if (etag && head.etag !== etag) return null;
      const parsed = parse(head.body);
      if (parsed !== 'truncated' || head.size <= head.body.length) return parsed === 'truncated' ? null : parsed;
      const whole = await this.store.getObject(bucket, key, { maxBytes: this.maxImageBytes, ...(etag ? { ifMatch: etag } : {}) });
      const again = parse(whole.body);
      return again === 'truncated' ? null : again;
    } catch (e) {
      if (e instanceof ObjectNotFoundError || e instanceof ObjectChangedError || e instanceof ObjectTooLargeError) return null;
      throw e;
    }
  }
}

/** 'truncated' when the bytes (perhaps the start of a longer file) do not parse. */
function parse(bytes: Uint8Array): DicomSource | null | 'truncated' {
  try {
    return readDicomSource(bytes);
  } catch (e) {
    if (e instanceof ImageDecodeError) return 'truncated';
    throw e;
  }
}

import { StudyResult, resultsKey } from '@pneumoscreen/contracts';
import { ObjectNotFoundError, ObjectTooLargeError, type ObjectStore } from '@pneumoscreen/storage';

/** A result the page can show: big studies' results are left to the API. */
const RESULT_MAX_BYTES = 16 * 1024 * 1024;
/** A heatmap is a small PNG at the model's input size. */
const HEATMAP_MAX_BYTES = 8 * 1024 * 1024;

/** What the review page reads of the results the worker wrote. */
export interface StudyResults {
  /** The study's result; null when it is gone, too large for the page, or not this study's. */
  result(bucket: string, studyId: string): Promise<StudyResult | null>;
  /** A PNG beside the results; null when it is missing. */
  heatmap(bucket: string, key: string): Promise<Buffer | null>;
}

export class S3StudyResults implements StudyResults {
  constructor(private readonly store: ObjectStore) {}

  async result(bucket: string, studyId: string): Promise<StudyResult | null> {
    const body = await this.read(bucket, resultsKey(studyId), RESULT_MAX_BYTES);
    if (!body) return null;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return null;
    }
    const parsed = StudyResult.safeParse(json);
    return parsed.success && parsed.data.studyId === studyId ? parsed.data : null;
  }

  heatmap(bucket: string, key: string): Promise<Buffer | null> {
    return this.read(bucket, key, HEATMAP_MAX_BYTES);
  }

  private async read(bucket: string, key: string, maxBytes: number): Promise<Buffer | null> {
    try {
      return (await this.store.getObject(bucket, key, { maxBytes })).body;
    } catch (e) {
      if (e instanceof ObjectNotFoundError || e instanceof ObjectTooLargeError) return null;
      throw e;
    }
  }
}

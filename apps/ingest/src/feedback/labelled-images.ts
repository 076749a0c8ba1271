import type { RedisClient } from '@pneumoscreen/queue';
import type { Decision, FeedbackJobData } from '@pneumoscreen/contracts';

/** An image's latest label, for the exact bytes (ETag) it was given for. */
export interface ImageLabelMark {
  label: Decision;
  etag: string;
}

/**
 * Which images of a study readers have labelled, so the review worklist can put them behind the
 * ones still waiting. Only a hint for the page: the trainer's records are the labels.
 */
export interface LabelledImages {
  note(job: Pick<FeedbackJobData, 'studyId' | 'images' | 'label'>): Promise<void>;
  /** Per study id, its labelled images by key. */
  of(studyIds: readonly string[]): Promise<Map<string, Map<string, ImageLabelMark>>>;
}

/** One hash per study beside its record (same hash tag), kept as long as finished studies are. */
export class RedisLabelledImages implements LabelledImages {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionMs: number,
  ) {}

  private key(studyId: string) {
    return `${this.prefix}:study:{${studyId}}:labels`;
  }

  async note(job: Pick<FeedbackJobData, 'studyId' | 'images' | 'label'>): Promise<void> {
    const fields = Object.fromEntries(job.images.map((i) => [i.key, JSON.stringify({ label: job.label, etag: i.etag })]));
    const replies = await this.redis.multi().hset(this.key(job.studyId), fields).pexpire(this.key(job.studyId), this.retentionMs).exec();
    const failed = replies?.find(([err]) => err)?.[0];
    if (failed) throw failed;
  }

  async of(studyIds: readonly string[]): Promise<Map<string, Map<string, ImageLabelMark>>> {
    const all = await Promise.all(studyIds.map((id) => this.redis.hgetall(this.key(id))));
    return new Map(
      studyIds.map((id, i) => [id, new Map(Object.entries(all[i]!).map(([key, v]) => [key, JSON.parse(v) as ImageLabelMark]))]),
    );
  }
}

import { FeedbackRecord, feedbackCommentKey, feedbackRecordKey, type FeedbackJobData } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';

const RECORD_MAX_BYTES = 1024 * 1024;

/**
 * The append-only data set of readers' labels in S3: one immutable JSON object per label under
 * `<prefix>records/<day>/<id>.json`, and readers' comments under `<prefix>comments/`. Nothing is
 * ever rewritten with different content, so the set can be copied, audited and replayed.
 */
export class FeedbackStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  /** Writes a record under its own key; writing the same record again (a retried job) is a no-op
   * in effect. */
  async append(record: FeedbackRecord): Promise<string> {
    const key = feedbackRecordKey(this.prefix, FeedbackRecord.parse(record));
    await this.store.putObject(this.bucket, key, JSON.stringify(record) + '\n', 'application/json');
    return key;
  }

  /** Whether the record of this label is already stored: a job retried after its write keeps the
   * first record rather than rewrite it with another `recordedAt`. */
  async has(r: Pick<FeedbackJobData, 'feedbackId' | 'receivedAt'>): Promise<boolean> {
    return (await this.store.headObject(this.bucket, feedbackRecordKey(this.prefix, r))) !== null;
  }

  /** Stores a reader's comment where records can point at it; returns its key. */
  async putComment(feedbackId: string, comment: string): Promise<string> {
    const key = feedbackCommentKey(this.prefix, feedbackId);
    await this.store.putObject(this.bucket, key, JSON.stringify({ feedbackId, comment }) + '\n', 'application/json');
    return key;
  }

  /** Every record, oldest day first. A record that fails validation stops the read with its key
   * named: training on a data set with silently skipped labels would be worse. */
  async readAll(): Promise<FeedbackRecord[]> {
    const out: FeedbackRecord[] = [];
    for await (const o of this.store.listObjects(this.bucket, `${this.prefix}records/`)) {
      if (!o.key.endsWith('.json')) continue;
      const body = (await this.store.getObject(this.bucket, o.key, { maxBytes: RECORD_MAX_BYTES })).body;
      let parsed;
      try {
        parsed = FeedbackRecord.safeParse(JSON.parse(body.toString('utf8')));
      } catch (err) {
        throw new Error(`feedback record s3://${this.bucket}/${o.key} is not JSON: ${(err as Error).message}`);
      }
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`feedback record s3://${this.bucket}/${o.key} is invalid: ${issue.path.join('.')}: ${issue.message}`);
      }
      out.push(parsed.data);
    }
    return out;
  }
}

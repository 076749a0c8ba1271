import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { StudyStatus } from '@pneumoscreen/contracts';
import { StudyKeys } from './study-keys';
import { CLAIM, RECORD } from './study-scripts';
import type { FinishedStudy, StudyObject, StudyOptions, StudyRecord, StudyRepository, StudySummary } from './study-record';

const DEFAULT_RETENTION_MS = 3 * 86_400_000;
/** The index of a tenant's finished studies serves a reader's worklist, which looks at the newest
 * few dozen: past this many, the oldest leave it before their retention ends, so a busy tenant's
 * index stays small. */
export const RECENTLY_FINISHED_CAP = 1000;

/**
 * Study state in Redis (its keys: study-keys.ts). The scripts (study-scripts.ts) and transactions
 * touch a study's keys together with the deployment's indexes (the collecting and queued sets), so
 * on a Redis Cluster every key must hash to one slot: `prefix` is expected to be a hash tag (`{pneumoscreen}`, as the config makes it),
 * and the keys carry no tag of their own. The index of collecting studies is a single sorted set
 * scored by the time of the last object.
 * Nothing grows without bound: a finished study's keys expire `retentionMs` after it finished, an
 * object's placement twice that after it was placed, a folder's keys `retentionMs` after last use.
 */
export class RedisStudyRepository implements StudyRepository {
  private readonly keys: StudyKeys;

  constructor(
    private readonly redis: Redis | Cluster,
    prefix: string,
    /** How long a finished study's keys stay; an object's placement stays twice as long, so it
     * outlives the reconciler's window (objects older than this are not listed again). */
    private readonly retentionMs = DEFAULT_RETENTION_MS,
  ) {
    this.keys = new StudyKeys(prefix);
  }

  async ensureStudy(studyId: string, bucket: string, at: Date) {
    await exec(this.ensuring(this.redis.multi(), studyId, bucket, at));
  }

  private ensuring(multi: ChainableCommander, studyId: string, bucket: string, at: Date): ChainableCommander {
    const key = this.keys.study(studyId);
    return multi.hsetnx(key, 'createdAt', at.toISOString()).hsetnx(key, 'bucket', bucket).hsetnx(key, 'status', 'collecting');
  }

  async recordObject(studyId: string, bucket: string, object: StudyObject, at: Date) {
    // One round trip per object, and no gap between the record and the collecting set.
    const [added, rawStatus] = (await this.redis.eval(
      RECORD,
      3,
      this.keys.study(studyId),
      this.keys.objects(studyId),
      this.keys.collecting,
      studyId,
      bucket,
      at.toISOString(),
      at.getTime(),
      object.key,
      JSON.stringify(object),
      object.etag,
    )) as [number, string];
    return { isNew: added === 1, status: StudyStatus.parse(rawStatus) };
  }

  async setOptions(studyId: string, options: StudyOptions) {
    const fields = Object.entries(options).filter(([, v]) => v !== undefined) as [string, string][];
    if (fields.length) await this.redis.hset(this.keys.study(studyId), Object.fromEntries(fields));
  }

  async objects(studyId: string): Promise<StudyObject[]> {
    const all = await this.redis.hvals(this.keys.objects(studyId));
    return all.map((v) => JSON.parse(v) as StudyObject).sort((a, b) => a.key.localeCompare(b.key));
  }

  async claimSubmission(studyId: string, at: Date) {
    const won = await this.redis.eval(
      CLAIM,
      3,
      this.keys.study(studyId),
      this.keys.collecting,
      this.keys.queued,
      studyId,
      at.toISOString(),
      at.getTime(),
    );
    return won === 1;
  }

  async releaseSubmission(studyId: string, at: Date) {
    await this.redis.hset(this.keys.study(studyId), 'status', 'collecting');
    await this.redis.hdel(this.keys.study(studyId), 'submittedAt');
    await this.redis.zrem(this.keys.queued, studyId);
    await this.redis.zadd(this.keys.collecting, at.getTime(), studyId);
  }

  async queuedUncheckedSince(before: Date, limit: number) {
    return this.redis.zrangebyscore(this.keys.queued, '-inf', before.getTime(), 'LIMIT', 0, limit);
  }

  async markQueuedChecked(studyId: string, at: Date) {
    await this.redis.zadd(this.keys.queued, 'XX', at.getTime(), studyId);
  }

  async quietSince(before: Date, limit: number) {
    return this.redis.zrangebyscore(this.keys.collecting, '-inf', before.getTime(), 'LIMIT', 0, limit);
  }

  async complete(
    studyId: string,
    status: 'completed' | 'failed',
    resultsKey: string,
    summary: StudySummary,
    at: Date,
    finishedFor?: { tenantId: string; bucket: string },
  ) {
    const study = this.keys.study(studyId);
    await exec(
      this.redis
        .multi()
        .hset(study, { status, resultsKey, completedAt: at.toISOString(), summary: JSON.stringify(summary) })
        .pexpire(study, this.retentionMs)
        .pexpire(this.keys.objects(studyId), this.retentionMs),
    );
    await this.redis.zrem(this.keys.queued, studyId);
    if (finishedFor) await this.indexFinished(finishedFor.tenantId, finishedFor.bucket, studyId, at);
  }

  /** Scored by completion time; trimmed here to the retention period and the cap, so the index
   * needs no sweeper. The bucket travels in the member, as results live in the study's bucket. */
  private async indexFinished(tenantId: string, bucket: string, studyId: string, at: Date) {
    const key = this.keys.finished(tenantId);
    await exec(
      this.redis
        .multi()
        .zadd(key, at.getTime(), `${bucket}/${studyId}`)
        .zremrangebyscore(key, '-inf', `(${at.getTime() - this.retentionMs}`)
        .zremrangebyrank(key, 0, -RECENTLY_FINISHED_CAP - 1)
        .pexpire(key, this.retentionMs),
    );
  }

  async recentlyFinished(tenantId: string, limit: number, now: Date): Promise<FinishedStudy[]> {
    const entries = await this.redis.zrevrangebyscore(
      this.keys.finished(tenantId),
      '+inf',
      now.getTime() - this.retentionMs,
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const studies: FinishedStudy[] = [];
    for (let i = 0; i + 1 < entries.length; i += 2) {
      const member = entries[i]!;
      const slash = member.indexOf('/');
      studies.push({ bucket: member.slice(0, slash), studyId: member.slice(slash + 1), completedAt: new Date(Number(entries[i + 1])) });
    }
    return studies;
  }

  async studyOfObject(bucket: string, key: string) {
    const placed = await this.redis.get(this.keys.placement(bucket, key));
    if (!placed) return null;
    const [studyId, etag] = placed.split(' ');
    return etag ? { studyId: studyId!, etag } : { studyId: studyId! };
  }

  async placeObject(bucket: string, key: string, studyId: string, etag: string) {
    await this.redis.set(this.keys.placement(bucket, key), `${studyId} ${etag}`, 'PX', 2 * this.retentionMs);
  }

  async noteLateObject(studyId: string) {
    await this.redis.hincrby(this.keys.study(studyId), 'lateObjects', 1);
  }

  async joinFolder(bucket: string, folder: string, studyId: string) {
    const [, manifest] = await exec(
      this.redis
        .multi()
        .sadd(this.keys.folderStudies(bucket, folder), studyId)
        .hget(this.keys.folder(bucket, folder), 'manifest')
        .pexpire(this.keys.folderStudies(bucket, folder), this.retentionMs)
        .pexpire(this.keys.folder(bucket, folder), this.retentionMs),
    );
    return manifest ? (JSON.parse(manifest as string) as StudyOptions) : null;
  }

  async recordFolderManifest(bucket: string, folder: string, read: StudyOptions) {
    const key = this.keys.folder(bucket, folder);
    const [, manifest, studies] = await exec(
      this.redis
        .multi()
        .hsetnx(key, 'manifest', JSON.stringify(read))
        .hget(key, 'manifest')
        .smembers(this.keys.folderStudies(bucket, folder))
        .pexpire(key, this.retentionMs),
    );
    return { options: JSON.parse(manifest as string) as StudyOptions, studies: (studies as string[]).sort() };
  }

  async folderManifest(bucket: string, folder: string) {
    const manifest = await this.redis.hget(this.keys.folder(bucket, folder), 'manifest');
    return manifest ? (JSON.parse(manifest) as StudyOptions) : null;
  }

  async get(studyId: string): Promise<StudyRecord | null> {
    const h = await this.redis.hgetall(this.keys.study(studyId));
    if (!h.status) return null;
    return {
      studyId,
      bucket: h.bucket,
      status: StudyStatus.parse(h.status),
      createdAt: h.createdAt,
      submittedAt: h.submittedAt,
      completedAt: h.completedAt,
      resultsKey: h.resultsKey,
      callbackUrl: h.callbackUrl,
      externalRef: h.externalRef,
      manifestIgnored: h.manifestIgnored,
      lateObjects: h.lateObjects ? Number(h.lateObjects) : undefined,
      summary: h.summary ? (JSON.parse(h.summary) as StudySummary) : undefined,
    };
  }
}

/** The replies of a MULTI, or the first command's error. */
async function exec(multi: ChainableCommander): Promise<unknown[]> {
  const replies = await multi.exec();
  if (!replies) throw new Error('a Redis transaction was aborted');
  for (const [err] of replies) if (err) throw err;
  return replies.map(([, value]) => value);
}

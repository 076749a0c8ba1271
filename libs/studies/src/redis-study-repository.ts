import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { StudyStatus } from '@pneumoscreen/contracts';
import type { FinishedStudy, StudyObject, StudyOptions, StudyRecord, StudyRepository, StudySummary } from './study-record';

// Marks the study queued only if it is still collecting, and notes it in the queued index (KEYS[3],
// scored by when its job should next be looked for); KEYS[1] study hash, KEYS[2] collecting set.
// A study that is not collecting leaves the collecting set either way: an entry left there would
// be read by every sweep, and enough of them would hide every study behind them.
const CLAIM = `
if redis.call('HGET', KEYS[1], 'status') ~= 'collecting' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'queued', 'submittedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1`;

// Records an object and, if it is new to a collecting study, moves the study's quiet time, in one
// step: done apart, a claim landing between them left a queued study in the collecting set. An
// object whose ETag changed (overwritten) is a new image: it replaces the old entry while the study
// collects, and counts as new (late) after. KEYS[1] study hash, KEYS[2] its objects, KEYS[3]
// collecting set; ARGV study id, bucket, ISO time, time in ms, object key, object JSON, ETag.
// Returns {added, status}.
const RECORD = `
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[3])
redis.call('HSETNX', KEYS[1], 'bucket', ARGV[2])
redis.call('HSETNX', KEYS[1], 'status', 'collecting')
local status = redis.call('HGET', KEYS[1], 'status')
local known = redis.call('HGET', KEYS[2], ARGV[5])
local added = 0
if not known then
  redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
  added = 1
elseif cjson.decode(known).etag ~= ARGV[7] then
  if status == 'collecting' then redis.call('HSET', KEYS[2], ARGV[5], ARGV[6]) end
  added = 1
end
if added == 1 and status == 'collecting' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
return {added, status}`;

const DEFAULT_RETENTION_MS = 3 * 86_400_000;
/** The index of a tenant's finished studies serves a reader's worklist, which looks at the newest
 * few dozen: past this many, the oldest leave it before their retention ends, so a busy tenant's
 * index stays small. */
export const RECENTLY_FINISHED_CAP = 1000;

/**
 * Study state in Redis. The scripts and transactions below touch a study's keys together with the
 * deployment's indexes (the collecting and queued sets), so on a Redis Cluster every key must hash
 * to one slot: `prefix` is expected to be a hash tag (`{pneumoscreen}`, as the config makes it),
 * and the keys carry no tag of their own. The index of collecting studies is a single sorted set
 * scored by the time of the last object.
 * Nothing grows without bound: a finished study's keys expire `retentionMs` after it finished, an
 * object's placement twice that after it was placed, a folder's keys `retentionMs` after last use.
 */
export class RedisStudyRepository implements StudyRepository {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    /** How long a finished study's keys stay; an object's placement stays twice as long, so it
     * outlives the reconciler's window (objects older than this are not listed again). */
    private readonly retentionMs = DEFAULT_RETENTION_MS,
  ) {}

  private studyKey(id: string) {
    return `${this.prefix}:study:${id}`;
  }
  private objectsKey(id: string) {
    return `${this.prefix}:study:${id}:objects`;
  }
  private get collectingKey() {
    return `${this.prefix}:studies:collecting`;
  }
  private get queuedKey() {
    return `${this.prefix}:studies:queued`;
  }
  /** Its own hash tag: in a Cluster it lives apart from the studies it names. */
  private finishedKey(tenantId: string) {
    return `${this.prefix}:tenant:{${tenantId}}:finished`;
  }
  /** One key per object, not a hash per bucket, so each can expire (Redis 7.0 has no HEXPIRE). */
  private placementKey(bucket: string, key: string) {
    return `${this.prefix}:placement:${bucket}:${key}`;
  }
  private folderKey(bucket: string, folder: string) {
    return `${this.prefix}:folder:${bucket}/${folder}`;
  }
  private folderStudiesKey(bucket: string, folder: string) {
    return `${this.folderKey(bucket, folder)}:studies`;
  }

  async ensureStudy(studyId: string, bucket: string, at: Date) {
    await exec(this.ensuring(this.redis.multi(), studyId, bucket, at));
  }

  private ensuring(multi: ChainableCommander, studyId: string, bucket: string, at: Date): ChainableCommander {
    const key = this.studyKey(studyId);
    return multi.hsetnx(key, 'createdAt', at.toISOString()).hsetnx(key, 'bucket', bucket).hsetnx(key, 'status', 'collecting');
  }

  async recordObject(studyId: string, bucket: string, object: StudyObject, at: Date) {
    // One round trip per object, and no gap between the record and the collecting set.
    const [added, rawStatus] = (await this.redis.eval(
      RECORD,
      3,
      this.studyKey(studyId),
      this.objectsKey(studyId),
      this.collectingKey,
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
    if (fields.length) await this.redis.hset(this.studyKey(studyId), Object.fromEntries(fields));
  }

  async objects(studyId: string): Promise<StudyObject[]> {
    const all = await this.redis.hvals(this.objectsKey(studyId));
    return all.map((v) => JSON.parse(v) as StudyObject).sort((a, b) => a.key.localeCompare(b.key));
  }

  async claimSubmission(studyId: string, at: Date) {
    const won = await this.redis.eval(CLAIM, 3, this.studyKey(studyId), this.collectingKey, this.queuedKey, studyId, at.toISOString(), at.getTime());
    return won === 1;
  }

  async releaseSubmission(studyId: string, at: Date) {
    await this.redis.hset(this.studyKey(studyId), 'status', 'collecting');
    await this.redis.hdel(this.studyKey(studyId), 'submittedAt');
    await this.redis.zrem(this.queuedKey, studyId);
    await this.redis.zadd(this.collectingKey, at.getTime(), studyId);
  }

  async queuedUncheckedSince(before: Date, limit: number) {
    return this.redis.zrangebyscore(this.queuedKey, '-inf', before.getTime(), 'LIMIT', 0, limit);
  }

  async markQueuedChecked(studyId: string, at: Date) {
    await this.redis.zadd(this.queuedKey, 'XX', at.getTime(), studyId);
  }

  async quietSince(before: Date, limit: number) {
    return this.redis.zrangebyscore(this.collectingKey, '-inf', before.getTime(), 'LIMIT', 0, limit);
  }

  async complete(studyId: string, status: 'completed' | 'failed', resultsKey: string, summary: StudySummary, at: Date, finishedFor?: { tenantId: string; bucket: string }) {
    const study = this.studyKey(studyId);
    await exec(
      this.redis
        .multi()
        .hset(study, { status, resultsKey, completedAt: at.toISOString(), summary: JSON.stringify(summary) })
        .pexpire(study, this.retentionMs)
        .pexpire(this.objectsKey(studyId), this.retentionMs),
    );
    await this.redis.zrem(this.queuedKey, studyId);
    if (finishedFor) await this.indexFinished(finishedFor.tenantId, finishedFor.bucket, studyId, at);
  }

  /** Scored by completion time; trimmed here to the retention period and the cap, so the index
   * needs no sweeper. The bucket travels in the member, as results live in the study's bucket. */
  private async indexFinished(tenantId: string, bucket: string, studyId: string, at: Date) {
    const key = this.finishedKey(tenantId);
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
    const entries = await this.redis.zrevrangebyscore(this.finishedKey(tenantId), '+inf', now.getTime() - this.retentionMs, 'WITHSCORES', 'LIMIT', 0, limit);
    const studies: FinishedStudy[] = [];
    for (let i = 0; i + 1 < entries.length; i += 2) {
      const member = entries[i]!;
      const slash = member.indexOf('/');
      studies.push({ bucket: member.slice(0, slash), studyId: member.slice(slash + 1), completedAt: new Date(Number(entries[i + 1])) });
    }
    return studies;
  }

  async studyOfObject(bucket: string, key: string) {
    const placed = await this.redis.get(this.placementKey(bucket, key));
    if (!placed) return null;
    const [studyId, etag] = placed.split(' ');
    return etag ? { studyId: studyId!, etag } : { studyId: studyId! };
  }

  async placeObject(bucket: string, key: string, studyId: string, etag: string) {
    await this.redis.set(this.placementKey(bucket, key), `${studyId} ${etag}`, 'PX', 2 * this.retentionMs);
  }

  async noteLateObject(studyId: string) {
    await this.redis.hincrby(this.studyKey(studyId), 'lateObjects', 1);
  }

  async joinFolder(bucket: string, folder: string, studyId: string) {
    const [, manifest] = await exec(
      this.redis
        .multi()
        .sadd(this.folderStudiesKey(bucket, folder), studyId)
        .hget(this.folderKey(bucket, folder), 'manifest')
        .pexpire(this.folderStudiesKey(bucket, folder), this.retentionMs)
        .pexpire(this.folderKey(bucket, folder), this.retentionMs),
    );
    return manifest ? (JSON.parse(manifest as string) as StudyOptions) : null;
  }

  async recordFolderManifest(bucket: string, folder: string, read: StudyOptions) {
    const key = this.folderKey(bucket, folder);
    const [, manifest, studies] = await exec(
      this.redis
        .multi()
        .hsetnx(key, 'manifest', JSON.stringify(read))
        .hget(key, 'manifest')
        .smembers(this.folderStudiesKey(bucket, folder))
        .pexpire(key, this.retentionMs),
    );
    return { options: JSON.parse(manifest as string) as StudyOptions, studies: (studies as string[]).sort() };
  }

  async folderManifest(bucket: string, folder: string) {
    const manifest = await this.redis.hget(this.folderKey(bucket, folder), 'manifest');
    return manifest ? (JSON.parse(manifest) as StudyOptions) : null;
  }

  async get(studyId: string): Promise<StudyRecord | null> {
    const h = await this.redis.hgetall(this.studyKey(studyId));
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

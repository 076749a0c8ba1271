// Redis bytes ingest keeps per image: records STUDIES studies of IMAGES images each under a
// private prefix of REDIS_URL (as ingest does: object, placement, folder, claim), sums MEMORY
// USAGE over every key, and removes them. BullMQ's jobs are not counted here (redis-bytes-with-jobs.mjs
// counts them, with the real apps). Then the
// studies finish, and the bytes of their tenant's index of finished studies (the review worklist's)
// are counted apart.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStudyRepository } from '../libs/studies/dist/index.js';

const [studies, images] = [200, 5];
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `psbytes-${randomUUID()}`;
const repo = new RedisStudyRepository(redis, prefix);
const at = new Date();
for (let s = 0; s < studies; s++) {
  const id = `study-${String(s).padStart(5, '0')}`;
  for (let i = 0; i < images; i++) {
    const key = `incoming/${id}/image-${i}.dcm`;
    await repo.recordObject(id, 'hospital-bucket', { key, etag: randomUUID().replace(/-/g, ''), size: 2_000_000 }, at);
    await repo.joinFolder('hospital-bucket', id, id);
    await repo.placeObject('hospital-bucket', key, id, randomUUID().replace(/-/g, ''));
  }
  await repo.claimSubmission(id, at);
}
const keys = await redis.keys(`${prefix}:*`);
let bytes = 0;
for (const k of keys) bytes += Number(await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
for (let s = 0; s < studies; s++) {
  const id = `study-${String(s).padStart(5, '0')}`;
  await repo.complete(id, 'completed', `results/${id}.json`, { imageCount: images, errorCount: 0 }, at, {
    tenantId: 'hospital',
    bucket: 'hospital-bucket',
  });
}
const indexBytes = Number(await redis.call('MEMORY', 'USAGE', `${prefix}:tenant:{hospital}:finished`, 'SAMPLES', '0'));
console.log(
  JSON.stringify({
    studies,
    imagesPerStudy: images,
    keys: keys.length,
    bytes,
    bytesPerImage: Math.round(bytes / (studies * images)),
    finishedIndexBytesPerStudy: Math.round(indexBytes / studies),
  }),
);
const all = await redis.keys(`${prefix}:*`);
if (all.length) await redis.del(...all);
redis.disconnect();

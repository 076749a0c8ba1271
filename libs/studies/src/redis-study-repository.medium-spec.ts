import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RECENTLY_FINISHED_CAP, RedisStudyRepository } from './redis-study-repository';

describe('RedisStudyRepository (real Redis)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `pstest-${randomUUID()}`;
  const repo = new RedisStudyRepository(redis, prefix);
  const t0 = new Date('2026-01-01T00:00:00Z');

  before(async () => void (await redis.ping()));
  after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  test('a duplicate object event is recognised and changes nothing', async () => {
    const o = { key: 'incoming/s1/a.jpg', etag: 'e1', size: 10 };
    assert.deepEqual(await repo.recordObject('s1', 'b', o, t0), { isNew: true, status: 'collecting' });
    assert.deepEqual(await repo.recordObject('s1', 'b', o, t0), { isNew: false, status: 'collecting' });
    assert.deepEqual(await repo.objects('s1'), [o]);
  });

  test('an overwritten object (new ETag) replaces its entry while the study collects, and is new but not recorded after', async () => {
    const key = 'incoming/ow/a.jpg';
    await repo.recordObject('ow', 'b', { key, etag: 'v1' }, t0);
    assert.deepEqual(await repo.recordObject('ow', 'b', { key, etag: 'v2' }, t0), { isNew: true, status: 'collecting' });
    assert.deepEqual(await repo.objects('ow'), [{ key, etag: 'v2' }]);
    await repo.claimSubmission('ow', t0);
    assert.deepEqual(await repo.recordObject('ow', 'b', { key, etag: 'v3' }, t0), { isNew: true, status: 'queued' });
    assert.deepEqual(await repo.objects('ow'), [{ key, etag: 'v2' }], 'the queued study keeps what it was queued with');
    await repo.noteLateObject('ow');
    assert.equal((await repo.get('ow'))?.lateObjects, 1);
  });

  test('only one claim of a study wins, and the study leaves the quiet index', async () => {
    await repo.recordObject('s2', 'b', { key: 'incoming/s2/a.jpg', etag: 'e' }, t0);
    assert.deepEqual(await repo.quietSince(new Date(t0.getTime() + 1), 100), ['s1', 's2']);
    const claims = await Promise.all([1, 2, 3, 4].map(() => repo.claimSubmission('s2', t0)));
    assert.equal(claims.filter(Boolean).length, 1);
    assert.deepEqual(await repo.quietSince(new Date(t0.getTime() + 1), 100), ['s1']);
    assert.equal((await repo.get('s2'))?.status, 'queued');
  });

  test('a study that is not yet quiet is not due', async () => {
    assert.deepEqual(await repo.quietSince(new Date(t0.getTime() - 1), 100), []);
  });

  test('a released claim can be taken again', async () => {
    await repo.releaseSubmission('s2', t0);
    assert.equal(await repo.claimSubmission('s2', t0), true);
  });

  test('completion stores the summary', async () => {
    await repo.setOptions('s1', { externalRef: 'ref-1', callbackUrl: undefined });
    await repo.complete(
      's1',
      'completed',
      'results/s1.json',
      { imageCount: 1, errorCount: 0, decision: 'NORMAL', maxProbability: 0.1 },
      t0,
    );
    const s = await repo.get('s1');
    assert.equal(s?.status, 'completed');
    assert.equal(s?.externalRef, 'ref-1');
    assert.equal(s?.summary?.decision, 'NORMAL');
    assert.equal(await repo.get('nope'), null);
  });

  test("a finished study's keys, its objects' placements and its folders' keys expire; a collecting study's do not", async () => {
    const short = new RedisStudyRepository(redis, prefix, 60_000);
    const ttl = (key: string) => redis.pttl(`${prefix}:${key}`);
    await short.recordObject('ret', 'b', { key: 'incoming/ret/a.jpg', etag: 'e' }, t0);
    await short.placeObject('b', 'incoming/ret/a.jpg', 'ret', 'e');
    await short.joinFolder('b', 'ret', 'ret');
    assert.deepEqual([await ttl('study:ret'), await ttl('study:ret:objects')], [-1, -1]);
    await short.claimSubmission('ret', t0);
    await short.complete('ret', 'completed', 'results/ret.json', { imageCount: 1, errorCount: 0 }, t0);
    for (const [key, ms] of [
      ['study:ret', 60_000],
      ['study:ret:objects', 60_000],
      ['placement:b:incoming/ret/a.jpg', 120_000],
      ['folder:b/ret:studies', 60_000],
    ] as const) {
      const left = await ttl(key);
      assert.ok(left > ms - 5_000 && left <= ms, `${key} expires in ${left} ms`);
    }
  });

  test('an object is placed in one study, remembered per bucket and key', async () => {
    assert.equal(await repo.studyOfObject('b', 'incoming/f/x.dcm'), null);
    await repo.placeObject('b', 'incoming/f/x.dcm', 'abc123', 'e1');
    assert.deepEqual(await repo.studyOfObject('b', 'incoming/f/x.dcm'), { studyId: 'abc123', etag: 'e1' });
    assert.equal(await repo.studyOfObject('other', 'incoming/f/x.dcm'), null);
  });

  test("a folder's first manifest wins, and lists every study the folder's objects joined", async () => {
    assert.equal(await repo.joinFolder('b', 'f1', 'uid-a'), null);
    assert.equal(await repo.folderManifest('b', 'f1'), null);
    assert.deepEqual(await repo.recordFolderManifest('b', 'f1', { externalRef: 'first' }), {
      options: { externalRef: 'first' },
      studies: ['uid-a'],
    });
    assert.deepEqual(await repo.joinFolder('b', 'f1', 'f1'), { externalRef: 'first' });
    assert.deepEqual(await repo.recordFolderManifest('b', 'f1', { externalRef: 'second' }), {
      options: { externalRef: 'first' },
      studies: ['f1', 'uid-a'],
    });
    assert.deepEqual(await repo.folderManifest('b', 'f1'), { externalRef: 'first' });
    assert.equal(await repo.joinFolder('b', 'f2', 'uid-a'), null, 'folders are separate');
  });

  test('of a join and a manifest racing, at least one sees the other', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `race-${i}`);
    const joins = ids.map((id) => repo.joinFolder('b', 'race', id));
    const manifest = repo.recordFolderManifest('b', 'race', { callbackUrl: 'https://example.org/hook' });
    const [{ studies }, ...seen] = await Promise.all([manifest, ...joins]);
    ids.forEach((id, i) => assert.ok(studies.includes(id) || seen[i] !== null, `${id} neither listed nor told of the manifest`));
  });

  test('an object recorded while its study is being claimed leaves no queued study in the quiet index', async () => {
    await repo.recordObject('race-claim', 'b', { key: 'incoming/rc/a.jpg', etag: 'e' }, t0);
    // One connection keeps the order: the record is sent, then the claim, as two ingest replicas would.
    const [recorded, won] = await Promise.all([
      repo.recordObject('race-claim', 'b', { key: 'incoming/rc/b.jpg', etag: 'e' }, t0),
      repo.claimSubmission('race-claim', t0),
    ]);
    assert.deepEqual([recorded, won], [{ isNew: true, status: 'collecting' }, true]);
    assert.ok(!(await repo.quietSince(new Date(t0.getTime() + 1), 1000)).includes('race-claim'));
  });

  test('entries of studies no longer collecting cannot hide a quiet study from the sweep', async () => {
    const stale = Array.from({ length: 120 }, (_, i) => `stale-${String(i).padStart(3, '0')}`);
    const early = new Date(t0.getTime() - 60_000);
    for (const id of stale) {
      await repo.recordObject(id, 'b', { key: `incoming/${id}/a.jpg`, etag: 'e' }, early);
      await repo.claimSubmission(id, early);
      await redis.zadd(`${prefix}:studies:collecting`, early.getTime(), id); // as the old record/claim race left them
    }
    await repo.recordObject('waiting', 'b', { key: 'incoming/waiting/a.jpg', etag: 'e' }, t0);
    const claimed: string[] = [];
    for (let pass = 0; pass < 3 && !claimed.includes('waiting'); pass++) {
      for (const id of await repo.quietSince(new Date(t0.getTime() + 1), 100)) if (await repo.claimSubmission(id, t0)) claimed.push(id);
    }
    assert.ok(claimed.includes('waiting'), 'the quiet study was never reached');
    assert.ok(!stale.some((id) => claimed.includes(id)));
  });

  test("each tenant's finished studies are listed newest first, within the retention period and the cap, and nobody's not at all", async () => {
    const short = new RedisStudyRepository(redis, prefix, 60_000);
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const summary = { imageCount: 1, errorCount: 0 };
    await short.complete('old', 'completed', 'results/old.json', summary, at(0), { tenantId: 'ta', bucket: 'ba' });
    await short.complete('a1', 'completed', 'results/a1.json', summary, at(30), { tenantId: 'ta', bucket: 'ba' });
    await short.complete('a2', 'failed', 'results/a2.json', summary, at(70), { tenantId: 'ta', bucket: 'ba2' });
    await short.complete('b1', 'completed', 'results/b1.json', summary, at(71), { tenantId: 'tb', bucket: 'bb' });
    await short.complete('none', 'completed', 'results/none.json', summary, at(72));
    const ta = await short.recentlyFinished('ta', 10, at(75));
    assert.deepEqual(ta, [
      { studyId: 'a2', bucket: 'ba2', completedAt: at(70) },
      { studyId: 'a1', bucket: 'ba', completedAt: at(30) },
    ]);
    assert.deepEqual(
      (await short.recentlyFinished('ta', 1, at(75))).map((s) => s.studyId),
      ['a2'],
    );
    assert.deepEqual(
      (await short.recentlyFinished('ta', 10, at(95))).map((s) => s.studyId),
      ['a2'],
      'past the retention period a study leaves the list',
    );
    assert.deepEqual(
      (await short.recentlyFinished('tb', 10, at(75))).map((s) => s.studyId),
      ['b1'],
    );
    const left = await redis.pttl(`${prefix}:tenant:{ta}:finished`);
    assert.ok(left > 55_000 && left <= 60_000, `the index expires in ${left} ms`);

    const many = Array.from({ length: RECENTLY_FINISHED_CAP + 5 }, (_, i) => i);
    const pipeline = redis.pipeline();
    for (const i of many) pipeline.zadd(`${prefix}:tenant:{tc}:finished`, at(1).getTime() - i, `bc/c${i}`);
    await pipeline.exec();
    await short.complete('c-last', 'completed', 'results/c-last.json', summary, at(2), { tenantId: 'tc', bucket: 'bc' });
    assert.equal(await redis.zcard(`${prefix}:tenant:{tc}:finished`), RECENTLY_FINISHED_CAP);
    const kept = async (i: number) => (await redis.zscore(`${prefix}:tenant:{tc}:finished`, `bc/c${i}`)) !== null;
    assert.deepEqual(
      [await kept(RECENTLY_FINISHED_CAP - 2), await kept(RECENTLY_FINISHED_CAP - 1)],
      [true, false],
      'the oldest leave first',
    );
    assert.equal((await short.recentlyFinished('tc', 1, at(3)))[0]?.studyId, 'c-last');
  });
});

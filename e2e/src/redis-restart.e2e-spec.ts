import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudyWebhookEvent } from '@pneumoscreen/contracts';
import { freePort, redisAnswers } from '@pneumoscreen/testing';
import { IMAGES_PER_STUDY, uploadStudies } from './support/announce';
import { startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-redis';

/** A redis-server of this test's own (the shared one must not restart), keeping every write in its
 * append-only file, as the compose file's Redis does, so that jobs outlive a restart. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(`redis://127.0.0.1:${port}`, 200))) {
    assert.ok(Date.now() < deadline && child.exitCode === null, 'redis-server answers within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/**
 * Redis restarts (maintenance, a failover) while studies are queued and in the worker's hands
 * (tfjs-wasm keeps them there long enough).
 * Ingest answers 503 with Retry-After while it is gone, so event senders retry; every process
 * reconnects on its own; and every study, queued before or announced after, completes.
 */
describe('a Redis restart loses no study', () => {
  let stack: E2eStack;
  let redis: ChildProcess;
  let port: number;
  let dir: string;

  before(async () => {
    port = await freePort();
    dir = await mkdtemp(join(tmpdir(), 'redis-restart-'));
    redis = await startRedis(port, dir);
    stack = await startE2eStack({
      bucket: BUCKET,
      prefix: `redis-e2e-${randomBytes(4).toString('hex')}`,
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, ENGINE: 'tfjs-wasm', WORKER_MAX_BATCH: '8' },
    });
  });

  after(async () => {
    await stack?.stop();
    if (redis) await stopRedis(redis);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Studies announced as a store would, again every second for as long as ingest says 503. */
  const upload = (name: string, studies: number) => uploadStudies(stack, name, studies, 1_000);

  test('ingest says 503 while Redis is gone, and every study completes once it is back', async () => {
    await upload('before', 6);
    await stopRedis(redis);
    assert.ok(stack.receiver.requests.length < 6, 'Redis went with studies still queued or in the worker');

    const key = 'incoming/during-0/0.jpeg';
    const refused = await stack.notify(key, await stack.put(key, 'not announced'));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal((await fetch(`${stack.ingestUrl}/health`)).status, 503);

    redis = await startRedis(port, dir);
    await upload('after', 4);
    await stack.receiver.waitFor((rs) => rs.length >= 10, 180_000);

    const results = stack.receiver.requests.map((r) => StudyWebhookEvent.parse(JSON.parse(r.body)).data);
    const expected = [...Array.from({ length: 6 }, (_, s) => `before-${s}`), ...Array.from({ length: 4 }, (_, s) => `after-${s}`)];
    assert.deepEqual(results.map((r) => r.studyId).sort(), expected.sort());
    for (const r of results) {
      assert.equal(r.status, 'completed', r.studyId);
      assert.equal(r.images.length, IMAGES_PER_STUDY, r.studyId);
      for (const i of r.images) assert.ok(i.probability !== undefined && !i.error, `${i.key} classified: ${i.error ?? ''}`);
    }
    assert.equal(stack.ingest.child.exitCode, null, 'ingest kept running');
    assert.equal(stack.worker.child.exitCode, null, 'the worker kept running');
  });
});

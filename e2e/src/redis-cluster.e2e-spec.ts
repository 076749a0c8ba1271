import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { QueueName, StudyWebhookEvent } from '@pneumoscreen/contracts';
import { startRedisCluster, type PrivateRedisCluster } from '@pneumoscreen/testing';
import { IMAGES_PER_STUDY, uploadStudies } from './support/announce';
import { startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-cluster';

/**
 * The pipeline on a Redis Cluster of three masters and three replicas that the test starts
 * itself. Every key of the deployment carries the hash tag `{prefix}` (BullMQ's flows and the
 * study scripts need one slot), and the master serving that slot is killed while studies are
 * queued and in the worker's hands: its replica takes over, the clients follow the new slot map,
 * and every study completes once.
 */
describe('the pipeline on a Redis Cluster, through a master failover', () => {
  let cluster: PrivateRedisCluster;
  let stack: E2eStack;
  const prefix = `{cluster-e2e-${randomBytes(4).toString('hex')}}`;

  before(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    stack = await startE2eStack({ bucket: BUCKET, prefix, env: { REDIS_URL: cluster.url, ENGINE: 'tfjs-wasm', WORKER_MAX_BATCH: '8' } });
  });

  after(async () => {
    await stack?.stop();
    await cluster?.stop();
  });

  /** Studies announced as a store would, again every half second while ingest says 503 (it does while its
   * connection finds the new master). */
  const upload = (name: string, studies: number) => uploadStudies(stack, name, studies, 500);

  test(
    'every study completes once, those queued before the failover and those announced during and after it',
    { timeout: 240_000 },
    async () => {
      await upload('before', 6);
      assert.ok(stack.receiver.requests.length < 6, 'the failover comes with studies still queued or in the worker');
      const [failing, during] = [cluster.failOver(prefix), upload('during', 3)];
      const promoted = await failing;
      await during;
      await upload('after', 3);
      await stack.receiver.waitFor((rs) => rs.length >= 12, 120_000);
      // Late duplicates would come within a batch or two.
      await new Promise((r) => setTimeout(r, 2_000));

      // A delivery whose acknowledgement the failover swallowed is made again, with the same
      // webhook-id (Standard Webhooks' at-least-once): a receiver sees each study's message once.
      const deliveries = stack.receiver.requests.map((r) => ({
        id: String(r.headers['webhook-id']),
        data: StudyWebhookEvent.parse(JSON.parse(r.body)).data,
      }));
      const messages = new Map(deliveries.map((d) => [d.id, d.data]));
      const results = [...messages.values()];
      const expected = ['before', 'during', 'after'].flatMap((name, k) => Array.from({ length: [6, 3, 3][k]! }, (_, s) => `${name}-${s}`));
      assert.deepEqual(results.map((r) => r.studyId).sort(), expected.sort(), 'one message per study');
      for (const r of results) {
        assert.equal(r.status, 'completed', r.studyId);
        assert.equal(r.images.length, IMAGES_PER_STUDY, r.studyId);
        for (const i of r.images) assert.ok(i.probability !== undefined && !i.error, `${i.key} classified: ${i.error ?? ''}`);
      }
      assert.equal(stack.ingest.child.exitCode, null, 'ingest kept running');
      assert.equal(stack.worker.child.exitCode, null, 'the worker kept running');

      // Everything the deployment keeps lives on the promoted master, in its one slot.
      const master = new Redis({ host: promoted.host, port: promoted.port });
      try {
        const keys = await master.keys(`${prefix}:*`);
        assert.ok(
          keys.some((k) => k.includes(':study:')) && keys.some((k) => k.startsWith(`${prefix}:${QueueName.image}:`)),
          `study records and image jobs are on the promoted master: ${keys.length} keys, e.g. ${keys.slice(0, 5).join(' ')}`,
        );
        const slots = new Set(await Promise.all(keys.map((k) => master.cluster('KEYSLOT', k))));
        assert.equal(slots.size, 1, 'one slot');
      } finally {
        master.disconnect();
      }
    },
  );
});

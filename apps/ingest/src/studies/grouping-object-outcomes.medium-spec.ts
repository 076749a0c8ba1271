import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IngestReplica, IngestStack } from '../ingest.test-harness';
import { JPEG, startGroupingStack, type GroupingStack } from './grouping.test-harness';

describe('ingest records overwritten, late and vanished objects, and counts outcomes (s3rver, real Redis)', () => {
  let stack: IngestStack;
  let ingest: IngestReplica;
  let drop: GroupingStack['drop'];
  let queuedStudy: GroupingStack['queuedStudy'];

  before(async () => void ({ stack, ingest, drop, queuedStudy } = await startGroupingStack()));
  after(async () => stack?.close());

  test('an overwritten object is a new image while its study collects, and a late one, counted on the study, once it is queued', async () => {
    const key = 'incoming/ward-11/a.jpeg';
    const announce = async (body: Buffer) => {
      const { etag } = await stack.put(key, body);
      return ingest.record.execute({ bucket: 'scans', key, etag, size: body.length });
    };
    assert.equal(await announce(JPEG), 'recorded');
    const second = Buffer.concat([JPEG, Buffer.from('second')]);
    assert.equal(await announce(second), 'recorded');
    const objects = await ingest.studies.objects('ward-11');
    assert.deepEqual(
      objects.map((o) => o.etag),
      [(await stack.store.headObject('scans', key))?.etag],
      'the new version replaced the old',
    );
    await drop('ward-11', { 'manifest.json': '{}' });
    assert.deepEqual((await queuedStudy('ward-11')).keys, [key]);
    assert.equal(await announce(Buffer.concat([JPEG, Buffer.from('third')])), 'late');
    assert.equal((await ingest.studies.get('ward-11'))?.lateObjects, 1);
  });

  test('an object gone before ingest reads it is ignored', async () => {
    assert.equal(await ingest.record.execute({ bucket: 'scans', key: 'incoming/ward-7/gone.dcm' }), 'ignored');
  });

  test("a replica's metrics count its objects by outcome, the studies it queued and what only a listing found", async () => {
    const fresh = stack.replica();
    const metric = async (name: string) =>
      Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(await fresh.metrics())?.[1] ?? 0);
    assert.deepEqual(await drop('ward-9', { 'a.jpeg': JPEG, 'b.jpeg': JPEG, 'manifest.json': '{}' }, fresh), [
      'recorded',
      'recorded',
      'manifest',
    ]);
    assert.equal(await fresh.record.execute({ bucket: 'scans', key: 'incoming/ward-9/a.jpeg' }), 'duplicate');
    assert.equal(await fresh.record.execute({ bucket: 'elsewhere', key: 'incoming/ward-9/a.jpeg' }), 'ignored');
    assert.deepEqual(
      [
        await metric('pneumoscreen_objects_total{outcome="recorded"}'),
        await metric('pneumoscreen_objects_total{outcome="manifest"}'),
        await metric('pneumoscreen_objects_total{outcome="duplicate"}'),
        await metric('pneumoscreen_objects_total{outcome="ignored"}'),
        await metric('pneumoscreen_studies_queued_total'),
      ],
      [2, 1, 1, 1, 1],
    );
    await stack.put('incoming/ward-10/unannounced.jpeg', JPEG);
    const found = await fresh.reconciler.reconcile();
    assert.ok(found >= 1);
    assert.equal(await metric('pneumoscreen_reconciler_objects_found_total'), found);
  });
});

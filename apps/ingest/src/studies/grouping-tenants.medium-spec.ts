import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { uidStudyId } from '@pneumoscreen/contracts';
import { startIngestStack, type IngestStack } from '../ingest.test-harness';
import { chestDicom as dicom, uidDigest } from './dicom-objects.test-harness';

describe('UID grouping stays inside a tenant (s3rver, real Redis)', () => {
  let stack: IngestStack;
  const tenants = [
    { id: 'hospital-a', locations: [{ bucket: 'scans', prefix: 'incoming/a-' }] },
    { id: 'hospital-b', locations: [{ bucket: 'scans', prefix: 'incoming/b-' }] },
  ];
  before(async () => void (stack = await startIngestStack({ TENANTS: JSON.stringify(tenants), STUDY_ID_KEY: 'k'.repeat(32) })));
  after(async () => stack?.close());

  test("a file naming another tenant's StudyInstanceUID starts a study of its own tenant; one outside every tenant is ignored", async () => {
    const ingest = stack.replica();
    const uid = '1.2.826.0.1.3680043.9.7101.1';
    const record = async (key: string) => (await stack.put(key, dicom(uid)), ingest.record.execute({ bucket: 'scans', key }));
    assert.deepEqual(
      [
        await record('incoming/a-ward/1.dcm'),
        await record('incoming/a-other/2.dcm'),
        await record('incoming/b-ward/3.dcm'),
        await record('incoming/c-ward/4.dcm'),
      ],
      ['recorded', 'recorded', 'recorded', 'ignored'],
    );
    const [a, b] = ['hospital-a', 'hospital-b'].map((t) => `${t}.${uidStudyId('k'.repeat(32), t, uidDigest(uid))}`);
    assert.notEqual(a, b);
    assert.deepEqual(
      (await ingest.studies.objects(a!)).map((o) => o.key),
      ['incoming/a-other/2.dcm', 'incoming/a-ward/1.dcm'],
    );
    assert.deepEqual(
      (await ingest.studies.objects(b!)).map((o) => o.key),
      ['incoming/b-ward/3.dcm'],
    );
  });

  test("folder studies are in their tenant's id space: the same folder name in two tenants is two studies", async () => {
    const ingest = stack.replica();
    const record = async (key: string) => {
      const { etag } = await stack.put(key, 'image bytes');
      return ingest.record.execute({ bucket: 'scans', key, etag, size: 11 });
    };
    assert.deepEqual([await record('incoming/a-same/0.jpeg'), await record('incoming/b-same/0.jpeg')], ['recorded', 'recorded']);
    assert.deepEqual(
      (await ingest.studies.objects('hospital-a.a-same')).map((o) => o.key),
      ['incoming/a-same/0.jpeg'],
    );
    assert.deepEqual(
      (await ingest.studies.objects('hospital-b.b-same')).map((o) => o.key),
      ['incoming/b-same/0.jpeg'],
    );
    assert.equal(await ingest.studies.get('a-same'), null, 'no study under the bare folder name');
  });
});

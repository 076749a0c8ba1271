import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIngestStack, type IngestStack } from '../ingest.test-harness';

let stack: IngestStack;
before(async () => void (stack = await startIngestStack()));
after(async () => stack?.close());

/** S3 keys are at most 1024 bytes of UTF-8: an event naming a longer one names no object, and is
 * answered as ignored instead of failing on the store's refusal (a 500 the sender retries for
 * ever). Found by `npm run reliability`. */
test('a key longer than S3 allows is ignored, whatever its name', async () => {
  const replica = stack.replica();
  for (const key of [`incoming/x/${'k'.repeat(1_100)}.dcm`, `incoming/x/${'é'.repeat(510)}.dcm`, `incoming/x/${'k'.repeat(1_100)}.jpeg`]) {
    assert.equal(await replica.record.execute({ bucket: 'scans', key, etag: 'abc', size: 10 }), 'ignored', `${key.length} characters`);
  }
  assert.deepEqual(replica.store.reads, [], 'nothing was read for them');
});

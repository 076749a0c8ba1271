import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '@pneumoscreen/config';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { startS3Server, type S3Server } from '@pneumoscreen/testing';
import { ingestHttpConfig, listenIngest, type IngestHttp } from '../ingest-http.test-harness';

const KEYS = { aSubmit: 'a-submit-and-status-key-0001', aFeedback: 'a-feedback-only-key-00001', bAll: 'b-every-scope-key-0000001' };

/** Ingest's HTTP API for real (Nest, Redis, s3rver) with two tenants sharing a bucket: each key
 * reaches its own tenant's studies and objects only, for the scopes it was given. */
describe('the studies API per tenant', () => {
  let s3: S3Server;
  let ingest: IngestHttp;
  let url: string;
  const prefix = `{pstest-tenant-api-${randomUUID()}}`;
  const call = (key: string, method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    s3 = await startS3Server({ buckets: ['shared', 'b-own'] });
    const tenants = [
      {
        id: 'hospital-a',
        locations: [{ bucket: 'shared', prefix: 'a/' }],
        apiKeys: [
          { id: 'ris', sha256: sha256Hex(KEYS.aSubmit), scopes: ['submit', 'status'] },
          { id: 'viewer', sha256: sha256Hex(KEYS.aFeedback), scopes: ['feedback'] },
        ],
      },
      {
        id: 'hospital-b',
        locations: [{ bucket: 'shared', prefix: 'b/' }, { bucket: 'b-own' }],
        apiKeys: [{ id: 'ris', sha256: sha256Hex(KEYS.bAll), scopes: ['submit', 'status', 'feedback'] }],
      },
    ];
    const config = ingestHttpConfig(s3, prefix, 'shared', { TENANTS: JSON.stringify(tenants) });
    const store = new S3ObjectStore(config.s3);
    for (const [bucket, key] of [
      ['shared', 'a/x.jpeg'],
      ['shared', 'b/y.jpeg'],
      ['b-own', 'scans/z.jpeg'],
    ])
      await store.putObject(bucket, key, 'not really a jpeg', 'image/jpeg');
    ingest = await listenIngest(config);
    url = ingest.url;
  });
  after(async () => {
    await ingest?.close();
    await s3?.stop();
  });

  test("a tenant submits its own objects; another tenant's read as missing, and the study is 404 to others", async () => {
    const res = await call(KEYS.aSubmit, 'POST', '/v1/studies', { studyId: 'a-study-1', keys: ['a/x.jpeg'] });
    assert.equal(res.status, 202, await res.clone().text());
    const hijack = await call(KEYS.aSubmit, 'POST', '/v1/studies', { studyId: 'a-study-2', keys: ['b/y.jpeg'] });
    assert.equal(hijack.status, 404);
    assert.match(await hijack.text(), /1 key\(s\) not found in bucket shared: b\/y\.jpeg/);
    const otherBucket = await call(KEYS.aSubmit, 'POST', '/v1/studies', { studyId: 'a-study-3', bucket: 'b-own', keys: ['scans/z.jpeg'] });
    assert.equal(otherBucket.status, 404);
    assert.equal((await call(KEYS.aSubmit, 'GET', '/v1/studies/a-study-1')).status, 200);
    const peek = await call(KEYS.bAll, 'GET', '/v1/studies/a-study-1');
    assert.equal(peek.status, 404);
    assert.match(await peek.text(), /no study a-study-1/);
    assert.equal(
      (await call(KEYS.bAll, 'POST', '/v1/studies', { studyId: 'b-study-1', bucket: 'b-own', keys: ['scans/z.jpeg'] })).status,
      202,
    );
  });

  test("study ids are the tenant's own: another tenant's id is free, and nothing says it is taken", async () => {
    const mine = await call(KEYS.aSubmit, 'POST', '/v1/studies', { studyId: 'same-name', keys: ['a/x.jpeg'] });
    assert.equal(mine.status, 202, await mine.clone().text());
    assert.equal(((await mine.json()) as { studyId: string }).studyId, 'hospital-a.same-name');
    const theirs = await call(KEYS.bAll, 'POST', '/v1/studies', { studyId: 'same-name', keys: ['b/y.jpeg'] });
    assert.equal(theirs.status, 202, "not 409: that tenant a has a study of this name is none of b's business");
    assert.equal(((await theirs.json()) as { studyId: string }).studyId, 'hospital-b.same-name');
    const aimed = await call(KEYS.bAll, 'POST', '/v1/studies', { studyId: 'hospital-a.same-name', keys: ['b/y.jpeg'] });
    assert.equal(
      ((await aimed.json()) as { studyId: string }).studyId,
      'hospital-b.hospital-a.same-name',
      "b's own study, whatever it names",
    );
    for (const id of ['same-name', 'hospital-a.same-name']) {
      const view = (await (await call(KEYS.aSubmit, 'GET', `/v1/studies/${id}`)).json()) as { studyId: string };
      assert.equal(view.studyId, 'hospital-a.same-name', `a reads its study as ${id}`);
    }
    const peek = (await (await call(KEYS.bAll, 'GET', '/v1/studies/hospital-a.same-name')).json()) as { studyId: string };
    assert.equal(peek.studyId, 'hospital-b.hospital-a.same-name', "b naming a's full id reads its own study, never a's");
    assert.equal(
      (await call(KEYS.aSubmit, 'POST', '/v1/studies', { studyId: 'same-name', keys: ['a/x.jpeg'] })).status,
      409,
      'its own id, taken, is a conflict',
    );
  });

  test('each key works for its scopes only, and a wrong key for nothing', async () => {
    const noScope = await call(KEYS.aFeedback, 'POST', '/v1/studies', { keys: ['a/x.jpeg'] });
    assert.equal(noScope.status, 403);
    assert.match(await noScope.text(), /API key viewer of tenant hospital-a does not have the submit scope/);
    assert.equal((await call(KEYS.aFeedback, 'GET', '/v1/studies/a-study-1')).status, 403);
    assert.equal(
      (await call(KEYS.aSubmit, 'POST', '/v1/feedback', { studyId: 'a-study-1', label: 'NORMAL', readerId: 'dr-1' })).status,
      403,
    );
    assert.equal((await call(`${KEYS.aSubmit}x`, 'GET', '/v1/studies/a-study-1')).status, 401);
    assert.equal((await fetch(`${url}/v1/studies/a-study-1`)).status, 401);
  });

  test("feedback on another tenant's study is 404, even while it is still queued", async () => {
    const mine = await call(KEYS.aFeedback, 'POST', '/v1/feedback', { studyId: 'a-study-1', label: 'NORMAL', readerId: 'dr-1' });
    assert.equal(mine.status, 409, 'its own tenant hears that it is not completed yet');
    const res = await call(KEYS.bAll, 'POST', '/v1/feedback', {
      studyId: 'a-study-1',
      bucket: 'shared',
      label: 'NORMAL',
      readerId: 'dr-1',
    });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /no completed study hospital-b\.a-study-1 in bucket shared/);
  });
});

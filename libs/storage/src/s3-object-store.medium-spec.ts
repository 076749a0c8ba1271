import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3RVER_CREDENTIALS, S3Server, startS3Server } from '@pneumoscreen/testing';
import { ObjectChangedError, ObjectNotFoundError, ObjectTooLargeError } from './object-store';
import { S3ObjectStore } from './s3-object-store';

const bucket = 'scans';
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

describe('S3ObjectStore against s3rver', () => {
  let server: S3Server;
  let store: S3ObjectStore;

  before(async () => {
    server = await startS3Server({ buckets: [bucket] });
    store = new S3ObjectStore({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      listPageSize: 2,
    });
  });
  after(async () => {
    store?.destroy();
    await server?.stop();
  });

  test('put, get and head agree on the bytes and the bare MD5 ETag', async () => {
    const body = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]);
    const { etag } = await store.putObject(bucket, 'incoming/s1/a.jpg', body, 'image/jpeg');
    assert.equal(etag, md5(body));

    const got = await store.getObject(bucket, 'incoming/s1/a.jpg', { maxBytes: 1024 });
    assert.deepEqual(got, { body, etag, contentType: 'image/jpeg' });
    assert.deepEqual(await store.headObject(bucket, 'incoming/s1/a.jpg'), { etag, size: body.length });
  });

  test('keys with spaces, plus and percent signs round-trip unchanged', async () => {
    const key = 'incoming/s 2/c++ (1) 100%.png';
    await store.putObject(bucket, key, 'text body');
    assert.equal((await store.getObject(bucket, key, { maxBytes: 100 })).body.toString(), 'text body');
    assert.deepEqual(
      (await collect(store.listObjects(bucket, 'incoming/s 2/'))).map((o) => o.key),
      [key],
    );
  });

  test('a get for the ETag that was recorded refuses an object overwritten since, and returns the same one', async () => {
    const key = 'incoming/s5/over.jpeg';
    const { etag } = await store.putObject(bucket, key, 'first bytes');
    assert.equal((await store.getObject(bucket, key, { maxBytes: 100, ifMatch: `"${etag}"` })).body.toString(), 'first bytes');
    const { etag: now } = await store.putObject(bucket, key, 'second bytes');
    await assert.rejects(store.getObject(bucket, key, { maxBytes: 100, ifMatch: etag }), (err: Error) => {
      assert.ok(err instanceof ObjectChangedError);
      assert.equal(
        err.message,
        `s3://${bucket}/${key} was replaced after it was recorded (recorded ETag ${etag}, now ${now}); the recorded version is not scored`,
      );
      return true;
    });
  });

  test('a missing object: head is null, get throws ObjectNotFoundError', async () => {
    assert.equal(await store.headObject(bucket, 'incoming/none.jpg'), null);
    await assert.rejects(store.getObject(bucket, 'incoming/none.jpg', { maxBytes: 10 }), (err: unknown) => {
      assert.ok(err instanceof ObjectNotFoundError);
      assert.equal(err.key, 'incoming/none.jpg');
      return true;
    });
  });

  test('a missing bucket is not mistaken for a missing object', async () => {
    await assert.rejects(store.getObject('no-such-bucket', 'a.jpg', { maxBytes: 10 }), (err: unknown) => {
      assert.ok(!(err instanceof ObjectNotFoundError));
      assert.equal((err as Error).name, 'NoSuchBucket');
      return true;
    });
  });

  test('get refuses a body over maxBytes, naming size and limit but not the contents', async () => {
    const body = 'PIXELDATA'.repeat(200);
    await store.putObject(bucket, 'incoming/big.jpg', body);
    await assert.rejects(store.getObject(bucket, 'incoming/big.jpg', { maxBytes: body.length - 1 }), (err: unknown) => {
      assert.ok(err instanceof ObjectTooLargeError);
      assert.equal(err.size, body.length);
      assert.equal(err.limit, body.length - 1);
      assert.match(err.message, new RegExp(`${body.length} bytes, over the ${body.length - 1}-byte limit`));
      assert.doesNotMatch(err.message, /PIXELDATA/);
      return true;
    });
    assert.equal((await store.getObject(bucket, 'incoming/big.jpg', { maxBytes: body.length })).body.length, body.length);
  });

  test('getObjectHead reads only the first bytes, and names the whole size', async () => {
    const body = Buffer.from('HEADER--'.padEnd(5000, 'pixels'));
    const { etag } = await store.putObject(bucket, 'incoming/s3/x.dcm', body);
    assert.deepEqual(await store.getObjectHead(bucket, 'incoming/s3/x.dcm', 8), { body: body.subarray(0, 8), etag, size: body.length });
    assert.deepEqual(await store.getObjectHead(bucket, 'incoming/s3/x.dcm', 1e6), { body, etag, size: body.length });
  });

  test('getObjectHead of an empty object is empty, and of a missing one throws ObjectNotFoundError', async () => {
    const { etag } = await store.putObject(bucket, 'incoming/s3/empty.dcm', '');
    assert.deepEqual(await store.getObjectHead(bucket, 'incoming/s3/empty.dcm', 64), { body: Buffer.alloc(0), etag, size: 0 });
    await assert.rejects(store.getObjectHead(bucket, 'incoming/s3/none.dcm', 64), ObjectNotFoundError);
  });

  test('list walks every page under a prefix, in key order', async () => {
    const keys = ['list/a', 'list/b', 'list/c', 'list/d', 'list/sub/e'];
    for (const key of keys) await store.putObject(bucket, key, `body of ${key}`);
    await store.putObject(bucket, 'listed-not/x', 'outside the prefix');

    const listed = await collect(store.listObjects(bucket, 'list/'));
    assert.deepEqual(
      listed.map((o) => o.key),
      keys,
    );
    for (const o of listed) {
      assert.equal(o.etag, md5(`body of ${o.key}`));
      assert.equal(o.size, `body of ${o.key}`.length);
      assert.ok(o.lastModified instanceof Date && !Number.isNaN(o.lastModified.getTime()));
    }
    assert.deepEqual(await collect(store.listObjects(bucket, 'nothing-here/')), []);
  });

  test('ensureBucket creates a bucket, and is a no-op when it exists', async () => {
    await store.ensureBucket('fresh-bucket');
    await store.ensureBucket('fresh-bucket');
    await store.ensureBucket(bucket);
    await store.putObject('fresh-bucket', 'k', 'v');
    assert.equal((await store.headObject('fresh-bucket', 'k'))?.size, 1);
  });
});

/** How AWS and MinIO answer what s3rver cannot show: 416 for any range of an empty object; and a
 * store that ignores Range altogether. */
describe('S3ObjectStore.getObjectHead against stores s3rver does not imitate', () => {
  const objects: Record<string, string> = { '/b/empty': '', '/b/full': 'x'.repeat(100) };
  let server: Server;
  let store: S3ObjectStore;

  before(async () => {
    server = createServer((req, res) => {
      const body = objects[new URL(req.url ?? '', 'http://h').pathname] ?? '';
      const headers = { etag: '"abc"', 'content-length': String(body.length) };
      if (req.method === 'GET' && body === '' && req.headers.range) {
        res.writeHead(416, { 'content-type': 'application/xml' });
        return res.end('<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>');
      }
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    store = new S3ObjectStore({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
  });
  after(async () => {
    store?.destroy();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  test('416 on an empty object reads as an empty head', async () => {
    assert.deepEqual(await store.getObjectHead('b', 'empty', 64), { body: Buffer.alloc(0), etag: 'abc', size: 0 });
  });

  test('a 200 with the whole body is cut at the limit', async () => {
    assert.deepEqual(await store.getObjectHead('b', 'full', 10), { body: Buffer.from('x'.repeat(10)), etag: 'abc', size: 100 });
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('two s3rver processes over one store (the bench spreads its S3 load this way)', () => {
  test('an object put through one is read through the other, and only the first removes the store', async () => {
    const first = await startS3Server({ buckets: [bucket] });
    const second = await startS3Server({ directory: first.directory });
    const through = (s: S3Server) => new S3ObjectStore(s.clientOptions);
    const [a, b] = [through(first), through(second)];
    try {
      const { etag } = await a.putObject(bucket, 'incoming/shared/x.jpg', Buffer.from('shared bytes'), 'image/jpeg');
      assert.deepEqual(await b.getObject(bucket, 'incoming/shared/x.jpg', { maxBytes: 1024 }), {
        body: Buffer.from('shared bytes'),
        etag,
        contentType: 'image/jpeg',
      });
      await second.stop();
      assert.equal(
        (await a.getObject(bucket, 'incoming/shared/x.jpg', { maxBytes: 1024 })).etag,
        etag,
        'the second server left the store in place',
      );
    } finally {
      a.destroy();
      b.destroy();
      await second.stop();
      await first.stop();
    }
  });
});

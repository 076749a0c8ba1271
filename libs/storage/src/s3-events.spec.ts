import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '@pneumoscreen/testing';
import { parseS3Notification, S3ObjectEvent } from './s3-events';

const dir = join(sharedDir(), 'peer-cases', 's3-events');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const put = 'ObjectCreated:Put';
const cephEtag = '37b51d194a7513e45b56f6524f2d51f2';

/** Every event fixture and the objects read from it, values copied by hand from the files. */
const expected: Record<string, S3ObjectEvent[]> = {
  'aws-s3-put-versionid.docs.json': [
    {
      bucket: 'mybucket',
      key: 'HappyFace.jpg',
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      size: 1024,
      versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
      sequencer: '0055AED6DCD90281E5',
      eventName: put,
      eventTime: '1970-01-01T00:00:00.000Z',
    },
  ],
  'aws-s3-put-versionid-key-pct20.lambda-go.json': [
    {
      bucket: 'sourcebucket',
      key: 'Happy Face.jpg',
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      size: 1024,
      versionId: 'version',
      sequencer: 'Happy Sequencer',
      eventName: put,
      eventTime: '1970-01-01T00:00:00.123Z',
    },
  ],
  'aws-s3-put-captured.powertools.json': [
    {
      bucket: 'lambda-artifacts-deafc19498e3f2df',
      key: 'b21b84d653bb07b05b1e6b33684dc11b',
      etag: 'b21b84d653bb07b05b1e6b33684dc11b',
      size: 1305107,
      sequencer: '0C0F6F405D6ED209E1',
      eventName: put,
      eventTime: '2019-09-03T19:37:27.192Z',
    },
  ],
  'aws-sqs-s3-direct-versionid.powertools.json': [
    {
      bucket: 'xxx',
      key: 'test.pdf',
      etag: '2e3ad1e983318bbd8e73b080e2997980',
      size: 104681,
      versionId: 'yd3d4HaWOT2zguDLvIQLU6ptDTwKBnQV',
      sequencer: '00643717F9F8B85354',
      eventName: put,
      eventTime: '2023-04-12T20:43:38.021Z',
    },
  ],
  'aws-eventbridge-object-created.powertools.json': [
    {
      bucket: 'example-bucket',
      key: 'IMG_m7fzo3.jpg',
      etag: '4e68adba0abe2dc8653dc3354e14c01d',
      size: 184662,
      sequencer: '006408CAD69598B05E',
      eventName: put,
      eventTime: '2023-03-08T17:50:14Z',
    },
  ],
  'aws-sqs-sns-s3-envelope.powertools-dev.json': [
    {
      bucket: 'unwraptestevents-bucket-683517028648',
      key: 'firehose-s3-template.json',
      etag: 'e77dffcd1756d6e8e5123ef1e0ce7c54',
      size: 4314,
      sequencer: '0065FA0B4B104A6DAB',
      eventName: put,
      eventTime: '2024-03-19T22:01:47.135Z',
    },
  ],
  'aws-sqs-rawsns-s3.powertools-dev.json': [
    {
      bucket: 'unwraptestevents-bucket-683517028648',
      key: 'samconfig.toml',
      etag: '9cc7da5febb07868706f59ab70d89981',
      size: 221,
      sequencer: '0065FA186CC08E810D',
      eventName: put,
      eventTime: '2024-03-19T22:57:48.823Z',
    },
  ],
  'aws-sns-lambda-s3.powertools-dev.json': [
    {
      bucket: 's3-sns-unwrap-bucket-683517028648',
      key: 'samconfig.toml',
      etag: '551277913a5ad93e0db069e673f23376',
      size: 221,
      sequencer: '0065F3718D39E6D6DC',
      eventName: put,
      eventTime: '2024-03-14T21:52:13.311Z',
    },
  ],
  'aws-sqs-eventbridge-object-created.powertools-dev.json': [
    {
      bucket: 's3-eb-unwrap-sourcebucket-7mop1gqlyrzu',
      key: '__init__.py',
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
      size: 0,
      sequencer: '0066030E82E2A48DFE',
      eventName: put,
      eventTime: '2024-03-26T18:05:54Z',
    },
  ],
  // Localstack replaced bucket, time and sequencer with placeholders; only key, eTag and size are real.
  'aws-s3-complete-multipart-upload.localstack-aws-recorded.json': [
    {
      bucket: '<resource:1>',
      key: 'test-key',
      etag: '8eabe9d6b43316e840b079170916c079-1',
      size: 6144,
      sequencer: 'sequencer',
      eventName: 'ObjectCreated:CompleteMultipartUpload',
      eventTime: 'date',
    },
  ],
  'aws-s3-put-key-at-sign-encoded.localstack-aws-recorded.json': [
    {
      bucket: '<resource:1>',
      key: 'a@b',
      etag: '437b930db84b8079c2dd804a71936b5f',
      size: 9,
      sequencer: 'sequencer',
      eventName: put,
      eventTime: 'date',
    },
  ],
  'minio-put-eventlog-kafka.docs.json': [
    {
      bucket: 'images',
      key: 'myphoto.jpg',
      etag: '430f89010c77aa34fc8760696da62d08-1',
      size: 6474,
      versionId: '1',
      sequencer: '15C32494527B46C5',
      eventName: put,
      eventTime: '2019-09-10T17:41:54Z',
    },
  ],
  'minio-put-eventlog-nsq.docs.json': [
    {
      bucket: 'images',
      key: 'gopher.jpg',
      etag: '5337769ffa594e742408ad3f30713cd7',
      size: 162023,
      versionId: '1',
      sequencer: '1562A792DAA53426',
      eventName: put,
      eventTime: '2018-10-31T09:31:11Z',
    },
  ],
  'ceph-rgw-put-opaquedata.docs.json': [
    {
      bucket: 'mybucket1',
      key: 'myimage1.jpg',
      etag: cephEtag,
      size: 1024,
      sequencer: 'F7E6D75DC742D108',
      eventName: put,
      eventTime: '2019-11-22T13:47:35.124724Z',
    },
  ],
  'ceph-rgw-records-etag-lowercase-metadata.knative.json': [
    {
      bucket: 'ypqmbg-1',
      key: '9',
      etag: cephEtag,
      size: 3,
      sequencer: 'F7E6D75DC742D108',
      eventName: put,
      eventTime: '2019-11-22T13:47:35.124724Z',
    },
    {
      bucket: 'ypqmbg-1',
      key: '9',
      etag: cephEtag,
      size: 3,
      sequencer: 'F7E6D75DC742D109',
      eventName: 'ObjectCreated:Post',
      eventTime: '2019-11-22T13:47:35.124724Z',
    },
    {
      bucket: 'tninfx-1',
      key: 'foo',
      etag: '80dad3aad8584778352c68ab06250327',
      size: 36,
      sequencer: '99F9E35D526C1406',
      eventName: put,
      eventTime: '2019-12-01T17:34:17.092904Z',
    },
  ],
};
/** Fixtures the table above cannot hold; each has its own test below. */
const elsewhere = ['aws-s3-test-event.docs.json', 'minio-post-key-slash-escaped.issue15200.json', 's3-key-encoding-observations.json'];

describe('parseS3Notification on the peer-case fixtures', () => {
  test('every fixture file is checked', () => {
    assert.deepEqual(readdirSync(dir).sort(), [...Object.keys(expected), ...elsewhere].sort());
  });

  for (const [name, objects] of Object.entries(expected)) {
    test(name, () => {
      assert.deepEqual(parseS3Notification(fixture(name)), { objects, ignored: 0, testEvent: false });
    });
  }

  test('an SQS message body given as the raw string parses the same', () => {
    const name = 'aws-sqs-sns-s3-envelope.powertools-dev.json';
    const body = (fixture(name) as { Records: { body: string }[] }).Records[0].body;
    assert.deepEqual(parseS3Notification(body).objects, expected[name]);
  });

  test("MinIO's top-level Key is bucket/decoded key, agreeing with what is read from the record", () => {
    for (const name of ['minio-put-eventlog-kafka.docs.json', 'minio-put-eventlog-nsq.docs.json']) {
      const [object] = parseS3Notification(fixture(name)).objects;
      assert.equal(`${object.bucket}/${object.key}`, (fixture(name) as { Key: string }).Key);
    }
  });

  test('the S3 test event names no object', () => {
    assert.deepEqual(parseS3Notification(fixture('aws-s3-test-event.docs.json')), { objects: [], ignored: 0, testEvent: true });
  });

  test('MinIO issue 15200: its blanked bucket name is refused; with one, users%2FABC is users/ABC', () => {
    const name = 'minio-post-key-slash-escaped.issue15200.json';
    assert.throws(() => parseS3Notification(fixture(name)), { name: 'S3EventError', message: 'Records[0].s3.bucket.name: empty' });
    const event = fixture(name) as { Records: { s3: { bucket: { name: string } } }[] };
    event.Records[0].s3.bucket.name = 'uploads';
    // eTag, sequencer and eventTime were blanked too: empty strings read as absent.
    assert.deepEqual(parseS3Notification(event).objects, [
      { bucket: 'uploads', key: 'users/ABC', size: 132, eventName: 'ObjectCreated:Post' },
    ]);
  });
});

describe('key decoding, per s3-key-encoding-observations.json', () => {
  interface Case {
    store: string;
    original: string;
    in_event?: string;
    in_event_top_level_Key?: string;
  }
  const { cases } = fixture('s3-key-encoding-observations.json') as { cases: Case[] };
  const sources: Record<string, string> = { aws: 'aws:s3', minio: 'minio:s3', ceph: 'ceph:s3' };
  const record = (store: string, key: string) => ({
    Records: [{ eventSource: sources[store], eventName: put, s3: { bucket: { name: 'b' }, object: { key } } }],
  });
  /** The key each observed case must decode to: `original` where the source states it exactly. */
  const decodedKey = (c: Case): string | undefined => {
    if (c.in_event?.startsWith('6xaxaxad2-')) return '6xaxaxad2-5xxx-xx-e/uploads/VJ9B4951 - Copy - Copy (2) - Copy.jpg';
    // Ceph writes keys as stored, so the literal space is the key itself.
    if (c.store === 'ceph') return c.in_event;
    return c.original;
  };

  for (const c of cases) {
    test(`${c.store}: ${c.in_event ?? c.in_event_top_level_Key}`, () => {
      if (c.in_event === undefined) {
        // Only the top-level Key was reported (minio#7665): that one is already decoded.
        assert.equal(c.in_event_top_level_Key, `mybucket/${c.original}`);
        const [object] = parseS3Notification(record(c.store, encodeURIComponent(c.original))).objects;
        assert.equal(object.key, c.original);
        return;
      }
      const [object] = parseS3Notification(record(c.store, c.in_event)).objects;
      assert.equal(object.key, decodedKey(c));
    });
  }

  test('Ceph keys are taken as written, plus and percent signs included', () => {
    assert.equal(parseS3Notification(record('ceph', 'scans/c++ 100%.png')).objects[0].key, 'scans/c++ 100%.png');
  });

  test('EventBridge keys are decoded like notification keys', () => {
    const event = {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'b' }, object: { key: 'red+flower%2B1.jpg' } },
    };
    assert.equal(parseS3Notification(event).objects[0].key, 'red flower+1.jpg');
  });
});

describe('parseS3Notification on what is not an object creation', () => {
  const s3Record = (eventName: string, key = 'k') => ({ eventSource: 'aws:s3', eventName, s3: { bucket: { name: 'b' }, object: { key } } });

  test('removals and other events count as ignored', () => {
    const parsed = parseS3Notification({
      Records: [s3Record('ObjectRemoved:Delete'), s3Record('ObjectCreated:Copy'), s3Record('s3:ObjectAcl:Put')],
    });
    assert.deepEqual(parsed, { objects: [{ bucket: 'b', key: 'k', eventName: 'ObjectCreated:Copy' }], ignored: 2, testEvent: false });
    assert.equal(parseS3Notification({ source: 'aws.s3', 'detail-type': 'Object Deleted', detail: {} }).ignored, 1);
    assert.deepEqual(parseS3Notification({ Records: [] }), { objects: [], ignored: 0, testEvent: false });
  });

  test('a test event inside an SQS message is reported', () => {
    const body = JSON.stringify(fixture('aws-s3-test-event.docs.json'));
    assert.deepEqual(parseS3Notification({ Records: [{ eventSource: 'aws:sqs', body }] }), { objects: [], ignored: 0, testEvent: true });
  });
});

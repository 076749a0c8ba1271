import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseS3Notification, S3EventError } from './s3-events';

const put = 'ObjectCreated:Put';

describe('parseS3Notification on malformed input', () => {
  const fails = (body: unknown, message: string) =>
    assert.throws(
      () => parseS3Notification(body),
      (err: unknown) => {
        assert.ok(err instanceof S3EventError);
        assert.equal(err.message, message);
        return true;
      },
    );
  const withObject = (object: unknown) => ({ Records: [{ eventName: put, s3: { bucket: { name: 'b' }, object } }] });

  test('not an object', () => {
    fails(42, '(root): not an object');
    fails(null, '(root): not an object');
    fails([], '(root): not an object');
    fails({ hello: 'world' }, '(root): not an S3 notification, SQS or SNS envelope, or EventBridge event');
  });

  test('Records not an array, or a record not an object', () => {
    fails({ Records: {} }, 'Records: not an array');
    fails({ Records: [7] }, 'Records[0]: not an object');
  });

  test('missing or empty bucket name and key, named by path', () => {
    fails(withObject({ size: 1 }), 'Records[0].s3.object.key: missing');
    fails(withObject({ key: '' }), 'Records[0].s3.object.key: empty');
    fails({ Records: [{ eventName: put, s3: { bucket: {}, object: { key: 'k' } } }] }, 'Records[0].s3.bucket.name: missing');
    fails({ Records: [{ eventName: put }] }, 'Records[0].s3: missing');
    fails({ Records: [{ s3: {} }] }, 'Records[0].eventName: missing');
    fails(
      { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'b' }, object: {} } },
      'detail.object.key: missing',
    );
  });

  test('bad percent-encoding', () => {
    fails(withObject({ key: 'scan%zz.png' }), 'Records[0].s3.object.key: bad percent-encoding');
    fails(withObject({ key: 'scan%E0%A4%A.png' }), 'Records[0].s3.object.key: bad percent-encoding');
    fails(withObject({ key: '100%' }), 'Records[0].s3.object.key: bad percent-encoding');
  });

  test('bad sizes and field types', () => {
    fails(withObject({ key: 'k', size: -1 }), 'Records[0].s3.object.size: not a non-negative integer');
    fails(withObject({ key: 'k', size: '1e3' }), 'Records[0].s3.object.size: not a non-negative integer');
    fails(withObject({ key: 'k', eTag: 5 }), 'Records[0].s3.object.eTag: not a string');
  });

  test('broken envelopes name the path through them, and never quote the payload', () => {
    fails({ Records: [{ eventSource: 'aws:sqs', body: '{"Records": [ PATIENT-JANE-DOE' }] }, 'Records[0].body: not valid JSON');
    fails({ Records: [{ Sns: { Message: { Records: [] } } }] }, 'Records[0].Sns.Message: not a string');
    fails('PATIENT-JANE-DOE', '(root): not valid JSON');
    const inner = JSON.stringify({ Records: [{ eventName: put, s3: { bucket: { name: 'b' }, object: { key: '%' } } }] });
    const sns = JSON.stringify({ Type: 'Notification', Message: inner });
    fails({ Records: [{ eventSource: 'aws:sqs', body: sns }] }, 'Records[0].body.Message.Records[0].s3.object.key: bad percent-encoding');
  });

  test('envelopes nested deeper than any real delivery are refused', () => {
    let body = JSON.stringify({ Records: [] });
    for (let i = 0; i < 3; i++) body = JSON.stringify({ Type: 'Notification', Message: body });
    fails({ Records: [{ eventSource: 'aws:sqs', body }] }, 'Records[0].body.Message.Message.Message: envelopes nested too deeply');
  });

  test('EventBridge events from other sources', () => {
    fails({ source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: {} }, 'source: not aws.s3');
  });
});

/** A created object named by an S3-style notification, its key decoded to the real object key. */
export interface S3ObjectEvent {
  bucket: string;
  key: string;
  /** Bare, as notifications carry it; absent where the sender left it empty. */
  etag?: string;
  size?: number;
  versionId?: string;
  sequencer?: string;
  /** `ObjectCreated:Put` and the like, without the `s3:` prefix MinIO and Ceph put in front. */
  eventName: string;
  eventTime?: string;
}

export interface ParsedS3Notification {
  objects: S3ObjectEvent[];
  /** Records and events that are not object creations (removals, ACL changes, ...). */
  ignored: number;
  /** S3 sends `s3:TestEvent` once when a notification is configured; it names no object. */
  testEvent: boolean;
}

/** A payload that is not a well-formed notification. The message names the path of the fault and
 * never quotes the payload, which may carry keys or metadata that identify a patient. */
export class S3EventError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path || '(root)'}: ${problem}`);
    this.name = 'S3EventError';
  }
}

type Json = Record<string, unknown>;

/** SQS → SNS → S3 is the deepest real nesting of JSON-in-a-string; one spare level, then refuse. */
const MAX_STRING_NESTING = 3;

/** EventBridge gives the API call as `reason`; map it onto the notification event names. */
const EVENTBRIDGE_REASONS = new Map([
  ['PutObject', 'Put'],
  ['POST Object', 'Post'],
  ['CopyObject', 'Copy'],
  ['CompleteMultipartUpload', 'CompleteMultipartUpload'],
]);

/**
 * Reads the objects created from any notification shape that reaches ingest: S3/MinIO/Ceph
 * `{Records}`, SQS and SNS envelopes (whose payload is a JSON string), EventBridge events, and the
 * S3 test event. A string is parsed as JSON first, as an SQS message body arrives.
 */
export function parseS3Notification(body: unknown): ParsedS3Notification {
  const out: ParsedS3Notification = { objects: [], ignored: 0, testEvent: false };
  if (typeof body === 'string') visitString(body, '', 0, out);
  else visit(body, '', 0, out);
  return out;
}

function visit(node: unknown, path: string, depth: number, out: ParsedS3Notification): void {
  const obj = asObject(node, path);
  if ('Records' in obj) {
    const records = obj.Records;
    const at = join(path, 'Records');
    if (!Array.isArray(records)) throw new S3EventError(at, 'not an array');
    records.forEach((record, i) => visitRecord(record, `${at}[${i}]`, depth, out));
  } else if (obj.Type === 'Notification' && 'Message' in obj) {
    visitString(obj.Message, join(path, 'Message'), depth, out);
  } else if ('detail-type' in obj) {
    visitEventBridge(obj, path, out);
  } else if (obj.Event === 's3:TestEvent') {
    out.testEvent = true;
  } else {
    throw new S3EventError(path, 'not an S3 notification, SQS or SNS envelope, or EventBridge event');
  }
}

function visitRecord(node: unknown, path: string, depth: number, out: ParsedS3Notification): void {
  const record = asObject(node, path);
  if ('body' in record) {
    visitString(record.body, join(path, 'body'), depth, out);
  } else if ('Sns' in record) {
    const sns = asObject(record.Sns, join(path, 'Sns'));
    visitString(sns.Message, join(path, 'Sns.Message'), depth, out);
  } else {
    visitS3Record(record, path, out);
  }
}

function visitString(value: unknown, path: string, depth: number, out: ParsedS3Notification): void {
  if (typeof value !== 'string') throw new S3EventError(path, 'not a string');
  if (depth >= MAX_STRING_NESTING) throw new S3EventError(path, 'envelopes nested too deeply');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // The parser's message quotes the input, so it is dropped.
    throw new S3EventError(path, 'not valid JSON');
  }
  visit(parsed, path, depth + 1, out);
}

function visitS3Record(record: Json, path: string, out: ParsedS3Notification): void {
  const eventName = requiredString(record.eventName, join(path, 'eventName')).replace(/^s3:/, '');
  if (!eventName.startsWith('ObjectCreated:')) {
    out.ignored++;
    return;
  }
  const s3 = asObject(record.s3, join(path, 's3'));
  const bucket = asObject(s3.bucket, join(path, 's3.bucket'));
  const object = asObject(s3.object, join(path, 's3.object'));
  const keyPath = join(path, 's3.object.key');
  const rawKey = requiredString(object.key, keyPath);
  const etagField = 'eTag' in object ? 'eTag' : 'etag';
  out.objects.push(
    definedOnly({
      bucket: requiredString(bucket.name, join(path, 's3.bucket.name')),
      // Ceph RGW writes the key as stored (rgw_notify.cc populate_event); everyone else URL-encodes it.
      key: record.eventSource === 'ceph:s3' ? rawKey : decodeKey(rawKey, keyPath),
      etag: optionalString(object[etagField], join(path, `s3.object.${etagField}`)),
      size: optionalSize(object.size, join(path, 's3.object.size')),
      versionId: optionalString(object.versionId, join(path, 's3.object.versionId')),
      sequencer: optionalString(object.sequencer, join(path, 's3.object.sequencer')),
      eventName,
      eventTime: optionalString(record.eventTime, join(path, 'eventTime')),
    }),
  );
}

function visitEventBridge(event: Json, path: string, out: ParsedS3Notification): void {
  if (event.source !== 'aws.s3') throw new S3EventError(join(path, 'source'), 'not aws.s3');
  if (event['detail-type'] !== 'Object Created') {
    out.ignored++;
    return;
  }
  const detail = asObject(event.detail, join(path, 'detail'));
  const bucket = asObject(detail.bucket, join(path, 'detail.bucket'));
  const object = asObject(detail.object, join(path, 'detail.object'));
  const keyPath = join(path, 'detail.object.key');
  const reason = optionalString(detail.reason, join(path, 'detail.reason'));
  out.objects.push(
    definedOnly({
      bucket: requiredString(bucket.name, join(path, 'detail.bucket.name')),
      // S3 encodes keys for EventBridge as it does for notifications (LocalStack, validated
      // against AWS, shares one encoder between them), so they are decoded alike.
      key: decodeKey(requiredString(object.key, keyPath), keyPath),
      etag: optionalString(object.etag, join(path, 'detail.object.etag')),
      size: optionalSize(object.size, join(path, 'detail.object.size')),
      versionId: optionalString(object['version-id'], join(path, 'detail.object.version-id')),
      sequencer: optionalString(object.sequencer, join(path, 'detail.object.sequencer')),
      eventName: `ObjectCreated:${reason === undefined ? '*' : (EVENTBRIDGE_REASONS.get(reason) ?? reason)}`,
      eventTime: optionalString(event.time, join(path, 'time')),
    }),
  );
}

/** Notification keys are form-encoded: `+` is a space (AWS, and MinIO's Go QueryEscape), and a
 * literal `+` arrives as `%2B`, so `+` must become a space before percent-decoding. */
function decodeKey(encoded: string, path: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new S3EventError(path, 'bad percent-encoding');
  }
}

function asObject(value: unknown, path: string): Json {
  if (value === undefined) throw new S3EventError(path, 'missing');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new S3EventError(path, 'not an object');
  }
  return value as Json;
}

function requiredString(value: unknown, path: string): string {
  if (value === undefined || value === null) throw new S3EventError(path, 'missing');
  if (typeof value !== 'string') throw new S3EventError(path, 'not a string');
  if (value === '') throw new S3EventError(path, 'empty');
  return value;
}

/** Stores fill unknown fields with "" (Ceph's versionId, a redacted MinIO eTag): treat as absent. */
function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new S3EventError(path, 'not a string');
  return value;
}

/** Ceph's documentation shows the size as a string ("1024"); its code and everyone else write a number. */
function optionalSize(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const size = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new S3EventError(path, 'not a non-negative integer');
  }
  return size;
}

function join(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

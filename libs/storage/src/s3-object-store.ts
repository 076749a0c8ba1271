import { Readable } from 'node:stream';
import {
  BucketLocationConstraint,
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { normaliseEtag } from '@pneumoscreen/contracts';
import {
  ObjectChangedError,
  type GetObjectOptions,
  ObjectHead,
  ObjectNotFoundError,
  ObjectPrefix,
  ObjectSummary,
  ObjectTooLargeError,
  RangedObjectStore,
  StoredObject,
} from './object-store';
import { readCapped, readPrefix } from './read-capped';

export interface S3ObjectStoreOptions {
  /** Omitted for AWS; set for MinIO, Ceph, s3rver. */
  endpoint?: string;
  region: string;
  /** `bucket` in the path rather than the host name: needed by most stores that are not AWS. */
  forcePathStyle: boolean;
  /** Omitted: the SDK's default chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** ListObjectsV2 MaxKeys; S3 caps it at 1000. A small value makes tests walk several pages. */
  listPageSize?: number;
}

/** ObjectStore on S3 or anything that speaks its API. Retries are the SDK's (3 attempts). */
export class S3ObjectStore implements RangedObjectStore {
  private readonly client: S3Client;

  constructor(private readonly options: S3ObjectStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // A copy: the SDK writes bookkeeping ($source) into the object it is given.
      credentials: options.credentials && { ...options.credentials },
      // The SDK's default since 3.729 adds a CRC32 to every upload and asks for checksums on every
      // download: CPU on each of the several requests per image, for integrity TLS already gives
      // in transit. Some S3-compatible stores also refuse those headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Resolves each command's middleware stack once rather than on every request; nothing here
      // changes a stack after the client is made.
      cacheMiddleware: true,
    });
  }

  async getObject(bucket: string, key: string, { maxBytes, ifMatch, versionId }: GetObjectOptions): Promise<StoredObject> {
    let res: GetObjectCommandOutput;
    const expected = ifMatch === undefined ? undefined : normaliseEtag(ifMatch);
    try {
      res = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: expected && `"${expected}"`, VersionId: versionId }),
      );
    } catch (err) {
      if (expected && httpStatus(err) === 412) throw new ObjectChangedError(bucket, key, expected);
      if (versionId && errorName(err) === 'NoSuchVersion') throw new ObjectChangedError(bucket, key, expected ?? `version ${versionId}`);
      throw isMissingObject(err) ? new ObjectNotFoundError(bucket, key) : err;
    }
    const body = res.Body;
    if (!(body instanceof Readable)) throw new Error(`s3://${bucket}/${key}: the response body is not a Node stream`);
    // Some stores (s3rver, older MinIO) ignore If-Match: the ETag that came back decides.
    if (expected && res.ETag && normaliseEtag(res.ETag) !== expected) {
      body.destroy();
      throw new ObjectChangedError(bucket, key, expected, normaliseEtag(res.ETag));
    }
    if (res.ContentLength !== undefined && res.ContentLength > maxBytes) {
      body.destroy();
      throw new ObjectTooLargeError(bucket, key, res.ContentLength, maxBytes);
    }
    // Content-Length can be absent (chunked) or not match the body, so the cap holds while reading too.
    const data = await readCapped(body, maxBytes);
    if (!data) throw new ObjectTooLargeError(bucket, key, undefined, maxBytes);
    return definedOnly({
      body: data,
      etag: bareEtag(res.ETag, bucket, key),
      versionId: res.VersionId,
      contentType: res.ContentType,
    });
  }

  async getObjectHead(bucket: string, key: string, maxBytes: number): Promise<ObjectPrefix> {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, not ${maxBytes}`);
    let res: GetObjectCommandOutput;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${maxBytes - 1}` }));
    } catch (err) {
      if (isMissingObject(err)) throw new ObjectNotFoundError(bucket, key);
      // No range of an empty object is satisfiable, so S3 answers 416 where there is nothing to read.
      if (httpStatus(err) === 416) return this.emptyObject(bucket, key);
      throw err;
    }
    const body = res.Body;
    if (!(body instanceof Readable)) throw new Error(`s3://${bucket}/${key}: the response body is not a Node stream`);
    const size = res.ContentRange ? totalOfContentRange(res.ContentRange) : res.ContentLength;
    if (size === undefined) {
      body.destroy();
      throw new Error(`s3://${bucket}/${key}: the store declared neither Content-Range nor Content-Length`);
    }
    // A store that ignores Range answers 200 with the whole object, so the limit holds here too.
    // Some (s3rver) answer an empty object with 206 and a body they never send: wait for none.
    const want = Math.min(maxBytes, size);
    const data = want > 0 ? await readPrefix(body, want) : Buffer.alloc(0);
    body.destroy();
    return definedOnly({ body: data, etag: bareEtag(res.ETag, bucket, key), size, versionId: res.VersionId });
  }

  private async emptyObject(bucket: string, key: string): Promise<ObjectPrefix> {
    const head = await this.headObject(bucket, key);
    if (!head) throw new ObjectNotFoundError(bucket, key);
    return definedOnly({ body: Buffer.alloc(0), etag: head.etag, size: head.size, versionId: head.versionId });
  }

  async putObject(bucket: string, key: string, body: Buffer | string, contentType?: string): Promise<{ etag: string }> {
    const res = await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    return { etag: bareEtag(res.ETag, bucket, key) };
  }

  async *listObjects(bucket: string, prefix: string): AsyncIterable<ObjectSummary> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken: token,
          MaxKeys: this.options.listPageSize,
        }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || o.Size === undefined || o.LastModified === undefined) {
          throw new Error(`s3://${bucket}/${prefix}: a listed object lacks its key, size or date`);
        }
        yield { key: o.Key, etag: bareEtag(o.ETag, bucket, o.Key), size: o.Size, lastModified: o.LastModified };
      }
      if (page.IsTruncated && !page.NextContinuationToken) {
        throw new Error(`s3://${bucket}/${prefix}: listing is truncated but has no continuation token`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async headObject(bucket: string, key: string): Promise<ObjectHead | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return definedOnly({ etag: bareEtag(res.ETag, bucket, key), size: res.ContentLength ?? 0, versionId: res.VersionId });
    } catch (err) {
      // A HEAD response has no body to say why, so a missing bucket also reads as null here.
      if (isMissingObject(err)) return null;
      throw err;
    }
  }

  /** Creates the bucket unless this account already has it. */
  async ensureBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: bucket,
          // AWS refuses a create outside us-east-1 that does not name its region.
          CreateBucketConfiguration:
            this.options.region === 'us-east-1' ? undefined : { LocationConstraint: this.options.region as BucketLocationConstraint },
        }),
      );
    } catch (err) {
      const name = errorName(err);
      if (name === 'BucketAlreadyOwnedByYou') return;
      if (name !== 'BucketAlreadyExists') throw err;
      // AWS means another account owns the name; s3rver says it of our own bucket. Go on only if
      // the bucket answers us (HeadBucket throws 403 on someone else's).
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    }
  }

  /** Closes the client's keep-alive sockets so a process can exit. */
  destroy(): void {
    this.client.destroy();
  }
}

function bareEtag(etag: string | undefined, bucket: string, key: string): string {
  if (!etag) throw new Error(`s3://${bucket}/${key}: the store returned no ETag`);
  return normaliseEtag(etag);
}

/** `bytes 0-65535/1048576` -> 1048576; a total of `*` (unknown) is refused. */
function totalOfContentRange(header: string): number {
  const m = /\/(\d+)$/.exec(header.trim());
  if (!m) throw new Error(`unexpected Content-Range "${header}"`);
  return Number(m[1]);
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** NoSuchKey from GET, a bare 404 (`NotFound`) from HEAD; NoSuchBucket is a configuration fault. */
function isMissingObject(err: unknown): boolean {
  const name = errorName(err);
  return name === 'NoSuchKey' || (httpStatus(err) === 404 && name !== 'NoSuchBucket');
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** ETags here are bare (no quotes), as event notifications carry them, so the two compare directly. */
export interface StoredObject {
  body: Buffer;
  etag: string;
  versionId?: string;
  contentType?: string;
}

export interface ObjectSummary {
  key: string;
  etag: string;
  size: number;
  lastModified: Date;
}

export interface GetObjectOptions {
  maxBytes: number;
  ifMatch?: string;
  versionId?: string;
}

export interface ObjectHead {
  etag: string;
  size: number;
  versionId?: string;
}

/** The object operations the pipeline needs: small enough for a unit test to fake. */
export interface ObjectStore {
  /** Throws ObjectNotFoundError, or ObjectTooLargeError rather than hold more than `maxBytes`.
   * With `ifMatch` (an ETag) or `versionId`, only those bytes: ObjectChangedError if the object
   * was replaced since. */
  getObject(bucket: string, key: string, options: GetObjectOptions): Promise<StoredObject>;
  putObject(bucket: string, key: string, body: Buffer | string, contentType?: string): Promise<{ etag: string }>;
  /** Every object under `prefix`, in key order, however many pages that takes. */
  listObjects(bucket: string, prefix: string): AsyncIterable<ObjectSummary>;
  /** null when there is no such object. */
  headObject(bucket: string, key: string): Promise<ObjectHead | null>;
}

/** The first bytes of an object, and how long the whole object is. */
export interface ObjectPrefix {
  body: Buffer;
  etag: string;
  size: number;
  versionId?: string;
}

/** A store that can read the start of an object without downloading the rest. Apart from
 * ObjectStore so that stores with no use for it (a local registry folder) need not offer it. */
export interface RangedObjectStore extends ObjectStore {
  /** At most `maxBytes` from the start (all of a shorter object); throws ObjectNotFoundError. */
  getObjectHead(bucket: string, key: string, maxBytes: number): Promise<ObjectPrefix>;
}

export class ObjectNotFoundError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`s3://${bucket}/${key} does not exist`);
    this.name = 'ObjectNotFoundError';
  }
}

export class ObjectTooLargeError extends Error {
  /** `size` is undefined when the store did not declare it and reading stopped at the limit. */
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly size: number | undefined,
    readonly limit: number,
  ) {
    super(
      size === undefined
        ? `s3://${bucket}/${key} is over the ${limit}-byte limit (its size was not declared)`
        : `s3://${bucket}/${key} is ${size} bytes, over the ${limit}-byte limit`,
    );
    this.name = 'ObjectTooLargeError';
  }
}

/** The object no longer has the ETag (or version) it was asked for: it was overwritten. */
export class ObjectChangedError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly expected: string,
    readonly found?: string,
  ) {
    super(
      `s3://${bucket}/${key} was replaced after it was recorded (recorded ETag ${expected}${found ? `, now ${found}` : ''}); the recorded version is not scored`,
    );
    this.name = 'ObjectChangedError';
  }
}

import type { ResultDecision, StudyStatus } from '@pneumoscreen/contracts';

export interface StudyObject {
  key: string;
  etag: string;
  versionId?: string;
  size?: number;
}

export interface StudyOptions {
  callbackUrl?: string;
  externalRef?: string;
  /** Why the folder's manifest was not used; its study runs with default options. */
  manifestIgnored?: string;
}

export interface StudySummary {
  decision?: ResultDecision;
  maxProbability?: number;
  modelVersion?: string;
  imageCount: number;
  errorCount: number;
}

/** A finished study in its tenant's index of recent ones. */
export interface FinishedStudy {
  studyId: string;
  bucket: string;
  completedAt: Date;
}

export interface StudyRecord extends StudyOptions {
  studyId: string;
  bucket: string;
  status: StudyStatus;
  createdAt: string;
  submittedAt?: string;
  completedAt?: string;
  resultsKey?: string;
  summary?: StudySummary;
  /** Objects (new, or overwritten with a new ETag) recorded after the study was queued: not in
   * its result. */
  lateObjects?: number;
}

/** Where ingest and the worker keep what they know about studies. */
export interface StudyRepository {
  /** Remembers an object of a collecting study. `isNew` is false when the object (same key and
   * ETag) was already known, so duplicate events do nothing; an overwritten object (same key, new
   * ETag) is new, and replaces the old entry while the study is collecting. */
  recordObject(studyId: string, bucket: string, object: StudyObject, at: Date): Promise<{ isNew: boolean; status: StudyStatus }>;
  /** Creates the study record if it does not exist yet (a manifest may come before any image). */
  ensureStudy(studyId: string, bucket: string, at: Date): Promise<void>;
  setOptions(studyId: string, options: StudyOptions): Promise<void>;
  objects(studyId: string): Promise<StudyObject[]>;
  /** Atomically moves a collecting study to queued; only one caller across all processes wins. */
  claimSubmission(studyId: string, at: Date): Promise<boolean>;
  /** Gives a claim back when the study could not be queued, so a later sweep retries it. */
  releaseSubmission(studyId: string, at: Date): Promise<void>;
  /** Queued studies last checked (or claimed) before `before`: each should have its job on the
   * queue, and one whose claim outlived its enqueue (a crash, a lost Redis write) has none. */
  queuedUncheckedSince(before: Date, limit: number): Promise<string[]>;
  /** Notes that a queued study's job was there at `at`; a completed study leaves the index. */
  markQueuedChecked(studyId: string, at: Date): Promise<void>;
  /** Collecting studies whose last object arrived before `before`. */
  quietSince(before: Date, limit: number): Promise<string[]>;
  /** Records the outcome; with `finishedFor`, the study also enters that tenant's index of
   * recently finished studies (a study of no single tenant is nobody's to review). */
  complete(
    studyId: string,
    status: 'completed' | 'failed',
    resultsKey: string,
    summary: StudySummary,
    at: Date,
    finishedFor?: { tenantId: string; bucket: string },
  ): Promise<void>;
  /** The tenant's studies finished in the retention period before `now`, newest first. */
  recentlyFinished(tenantId: string, limit: number, now: Date): Promise<FinishedStudy[]>;
  get(studyId: string): Promise<StudyRecord | null>;
  /** The study an object of the watched bucket was placed in, null while it has none: a listing
   * that sees the object again needs no second look at its bytes. */
  studyOfObject(bucket: string, key: string): Promise<{ studyId: string; etag?: string } | null>;
  placeObject(bucket: string, key: string, studyId: string, etag: string): Promise<void>;
  /** Counts an object recorded after its study was queued, so the study's status reports it. */
  noteLateObject(studyId: string): Promise<void>;
  /** Notes that `studyId` holds objects of an incoming folder, and returns the options of the
   * folder's manifest if it has been read already (null before). Atomic with recordFolderManifest:
   * of a join and a manifest racing, at least one sees the other. */
  joinFolder(bucket: string, folder: string, studyId: string): Promise<StudyOptions | null>;
  /** Keeps the first options read from a folder's manifest (later reads change nothing) and returns
   * them with every study the folder's objects have joined so far. */
  recordFolderManifest(bucket: string, folder: string, read: StudyOptions): Promise<{ options: StudyOptions; studies: string[] }>;
  folderManifest(bucket: string, folder: string): Promise<StudyOptions | null>;
}

import type { Decision, StudyStatus } from '@pneumoscreen/contracts';

export interface StudyObject {
  key: string;
  etag: string;
  versionId?: string;
  size?: number;
}

export interface StudyOptions {
  callbackUrl?: string;
  externalRef?: string;
}

export interface StudySummary {
  decision?: Decision;
  maxProbability?: number;
  modelVersion?: string;
  imageCount: number;
  errorCount: number;
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
}

/** Where ingest and the worker keep what they know about studies. */
export interface StudyRepository {
  /** Remembers an object of a collecting study. Returns false when the object (same key and ETag)
   * was already known, so duplicate events do nothing. */
  recordObject(studyId: string, bucket: string, object: StudyObject, at: Date): Promise<{ isNew: boolean; status: StudyStatus }>;
  /** Creates the study record if it does not exist yet (a manifest may come before any image). */
  ensureStudy(studyId: string, bucket: string, at: Date): Promise<void>;
  setOptions(studyId: string, options: StudyOptions): Promise<void>;
  objects(studyId: string): Promise<StudyObject[]>;
  /** Atomically moves a collecting study to queued; only one caller across all processes wins. */
  claimSubmission(studyId: string, at: Date): Promise<boolean>;
  /** Gives a claim back when the study could not be queued, so a later sweep retries it. */
  releaseSubmission(studyId: string, at: Date): Promise<void>;
  /** Collecting studies whose last object arrived before `before`. */
  quietSince(before: Date, limit: number): Promise<string[]>;
  complete(studyId: string, status: 'completed' | 'failed', resultsKey: string, summary: StudySummary, at: Date): Promise<void>;
  get(studyId: string): Promise<StudyRecord | null>;
}

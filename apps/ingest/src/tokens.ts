/** Injection tokens for the ports the ingest use cases depend on. */
export const CONFIG = Symbol('CONFIG');
export const REDIS = Symbol('REDIS');
export const OBJECT_STORE = Symbol('OBJECT_STORE');
/** The model registry's bucket, reached with its own credentials when they are configured. */
export const REGISTRY_STORE = Symbol('REGISTRY_STORE');
export const STUDY_REPOSITORY = Symbol('STUDY_REPOSITORY');
export const STUDY_QUEUE = Symbol('STUDY_QUEUE');
export const CLOCK = Symbol('CLOCK');
export const FEEDBACK_STORE = Symbol('FEEDBACK_STORE');
export const FEEDBACK_QUEUE = Symbol('FEEDBACK_QUEUE');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const METRICS_ENDPOINT = Symbol('METRICS_ENDPOINT');
export const INGEST_METRICS = Symbol('INGEST_METRICS');
/** The deployment's key for study ids made from StudyInstanceUIDs (STUDY_ID_KEY, or one kept in Redis). */
export const STUDY_ID_KEY = Symbol('STUDY_ID_KEY');
/** How ingest reaches SNS (signing certificates, subscription confirmations). */
export const SNS_TRANSPORT = Symbol('SNS_TRANSPORT');
/** Every tenant's API keys, as digests. */
export const API_KEYS = Symbol('API_KEYS');
/** Where review page sessions are kept. */
export const REVIEW_SESSIONS = Symbol('REVIEW_SESSIONS');
/** Reads study results for the review page. */
export const STUDY_RESULTS = Symbol('STUDY_RESULTS');
/** Which images readers have labelled, for the review worklist. */
export const LABELLED_IMAGES = Symbol('LABELLED_IMAGES');

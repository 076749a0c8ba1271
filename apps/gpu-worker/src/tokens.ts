/** Injection tokens for the ports the worker use cases depend on. */
export const CONFIG = Symbol('CONFIG');
export const REDIS = Symbol('REDIS');
export const OBJECT_STORE = Symbol('OBJECT_STORE');
/** The model registry's bucket, reached with its own credentials when they are configured. */
export const REGISTRY_STORE = Symbol('REGISTRY_STORE');
export const STUDY_REPOSITORY = Symbol('STUDY_REPOSITORY');
export const CLOCK = Symbol('CLOCK');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const METRICS_ENDPOINT = Symbol('METRICS_ENDPOINT');
export const IMAGE_METRICS = Symbol('IMAGE_METRICS');
export const DELIVERY_METRICS = Symbol('DELIVERY_METRICS');

/** Injection tokens for the ports the trainer use cases depend on. */
export const CONFIG = Symbol('CONFIG');
export const OBJECT_STORE = Symbol('OBJECT_STORE');
/** The model registry's bucket, reached with its own credentials when they are configured. */
export const REGISTRY_STORE = Symbol('REGISTRY_STORE');
export const FEEDBACK_STORE = Symbol('FEEDBACK_STORE');
export const MODEL_REGISTRY = Symbol('MODEL_REGISTRY');
export const CLOCK = Symbol('CLOCK');

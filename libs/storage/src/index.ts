export * from './object-store';
export * from './s3-events';
export * from './s3-object-store';
export { MemoryObjectStore } from './memory-object-store';
export * from './sns-message';
export { httpsSnsTransport } from './sns-transport';

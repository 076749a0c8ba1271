export * from './queues';
export * from './ids';
export * from './jobs';
export * from './studies';
export * from './webhook-events';
export * from './model-manifest';
export * from './webhook-endpoints';
export * from './registry';

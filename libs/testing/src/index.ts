export * from './webhook-receiver';
export * from './redis-server';
export * from './spawn-app';
export * from './paths';
export * from './s3-server';
export * from './model-release';
export * from './thread-pool';
export * from './dcmtk-variants';

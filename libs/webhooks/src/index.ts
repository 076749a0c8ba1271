export * from './signing';
export * from './verify-webhook';
export * from './delivery';
export * from './retry-schedule';
export * from './address-guard';

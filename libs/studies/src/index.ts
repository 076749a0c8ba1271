export * from './study-record';
export { RedisStudyRepository } from './redis-study-repository';
export { type Clock, systemClock } from './clock';

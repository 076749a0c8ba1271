export * from './study-record';
export { RECENTLY_FINISHED_CAP, RedisStudyRepository } from './redis-study-repository';
export { type Clock, systemClock } from './clock';

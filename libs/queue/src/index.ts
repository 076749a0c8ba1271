export {
  bullConnection,
  createRedisConnection,
  checkEvictionPolicy,
  logOutages,
  type ConnectionRole,
  type RedisClient,
} from './connection';
export { MicroBatcher, type BatchOptions } from './micro-batcher';
export { imageWorkerOptions, pacsWorkerOptions, studyWorkerOptions, webhookWorkerOptions } from './job-options';
export { redisOptionsFromUrl } from './redis-url';
export { publishChannelNotice, subscribeChannelNotices } from './channel-notices';
export { isRedisUnavailable } from './redis-unavailable';
export { JOBS, assertHandlersCoverJobs, jobsOn, parseJob, type JobData, type JobsOn } from './job-catalog';
export { QueueProcessor, type JobHandlers } from './queue-processor';
export { FatalSignal, Readiness, closeOnFatal, FATAL_CLOSE_MS, type Closable } from './lifecycle';

export { createRedisConnection, checkEvictionPolicy, logOutages, type ConnectionRole } from './connection';
export { MicroBatcher, type BatchOptions } from './micro-batcher';
export { feedbackJobOptions, imageJobOptions, imageWorkerOptions, retrainJobOptions, studyJobOptions, studyWorkerOptions, webhookJobOptions, webhookWorkerOptions } from './job-options';
export { redisOptionsFromUrl } from './redis-url';
export { publishChannelNotice, subscribeChannelNotices } from './channel-notices';
export { isRedisUnavailable } from './redis-unavailable';

// The Lua scripts RedisStudyRepository runs where a read and the writes it decides must be one step.

// Marks the study queued only if it is still collecting, and notes it in the queued index (KEYS[3],
// scored by when its job should next be looked for); KEYS[1] study hash, KEYS[2] collecting set.
// A study that is not collecting leaves the collecting set either way: an entry left there would
// be read by every sweep, and enough of them would hide every study behind them.
export const CLAIM = `
if redis.call('HGET', KEYS[1], 'status') ~= 'collecting' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'queued', 'submittedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1`;

// Records an object and, if it is new to a collecting study, moves the study's quiet time, in one
// step: done apart, a claim landing between them left a queued study in the collecting set. An
// object whose ETag changed (overwritten) is a new image: it replaces the old entry while the study
// collects, and counts as new (late) after. KEYS[1] study hash, KEYS[2] its objects, KEYS[3]
// collecting set; ARGV study id, bucket, ISO time, time in ms, object key, object JSON, ETag.
// Returns {added, status}.
export const RECORD = `
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[3])
redis.call('HSETNX', KEYS[1], 'bucket', ARGV[2])
redis.call('HSETNX', KEYS[1], 'status', 'collecting')
local status = redis.call('HGET', KEYS[1], 'status')
local known = redis.call('HGET', KEYS[2], ARGV[5])
local added = 0
if not known then
  redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
  added = 1
elseif cjson.decode(known).etag ~= ARGV[7] then
  if status == 'collecting' then redis.call('HSET', KEYS[2], ARGV[5], ARGV[6]) end
  added = 1
end
if added == 1 and status == 'collecting' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
return {added, status}`;

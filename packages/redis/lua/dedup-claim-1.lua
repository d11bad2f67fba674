--[[
  Claims an enqueue-time deduplication key (cq's `applyAsync(…, { deduplicationId })`, BullMQ's
  deduplicateJob): a hash with fields `task` and `stamp`, expiring after ARGV[3] ms.
  KEYS[1] the deduplication key
  ARGV[1] the task id of the caller
  ARGV[2] the caller's stamp (names its message)
  ARGV[3] time to live, ms
  ARGV[4] '1' to supersede a held key (debounce): it takes ARGV[2] as its stamp and a fresh TTL,
          keeping its task id; '0' leaves a held key as it is
  Returns {} when the key was free and is now the caller's; otherwise {task, stamp} of the record
  that holds it (after a supersede, the new stamp).
]]
local task = redis.call('HGET', KEYS[1], 'task')
if not task then
  redis.call('HSET', KEYS[1], 'task', ARGV[1], 'stamp', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {}
end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'stamp', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {task, redis.call('HGET', KEYS[1], 'stamp')}

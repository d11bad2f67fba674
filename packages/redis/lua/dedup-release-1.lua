--[[
  Releases an enqueue-time deduplication key if the caller's task holds it (BullMQ's
  removeDeduplicationKey for one job): the worker when a task finishes (simple mode) or starts
  (debounce), the sender after a failed publish.
  KEYS[1] the deduplication key (hash: task, stamp)
  ARGV[1] the task id
  ARGV[2] the stamp, or '' for any stamp
  Returns 1 when deleted; 2 when the task holds the key under another stamp (superseded; kept);
  0 when the key is gone or another task holds it (kept).
]]
if redis.call('HGET', KEYS[1], 'task') ~= ARGV[1] then
  return 0
end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'stamp') ~= ARGV[2] then
  return 2
end
redis.call('DEL', KEYS[1])
return 1

--[[
  Celery's Redis chord counter (`RedisBackend.on_chord_part_return`, Celery 5.2) as one atomic step;
  `src/chord.ts` says where it deliberately differs from Celery and why.
  KEYS[1] `celery-taskset-meta-<group id>.j`: the finished parts, a sorted set scored by group_index
          (result_chord_ordered) or a list; each member the encoded [1, task_id, state, result]
  KEYS[2] `….t`: what Task.add_to_chord added to the size (INCR), usually missing
  KEYS[3] `….s`: the header size, written by the client that started the chord
  ARGV[1] the encoded entry
  ARGV[2] its score: the group_index, or '+inf'
  ARGV[3] '1' sorted set, '0' list
  ARGV[4] seconds the three keys live (result_expires), '' for no expiry
  ARGV[5] the part's task id
  Returns {0, count} while parts are missing, no `.s` is stored yet, or the part is a repeat;
  {1, count, entries} for the call that completed the chord (entries in group order; the three keys
  are deleted in the same step).
]]
local count
if ARGV[3] == '1' then
  if ARGV[2] ~= '+inf' then
    for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2])) do
      if string.find(member, ARGV[5], 1, true) then return {0, redis.call('ZCARD', KEYS[1])} end
    end
  end
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  count = redis.call('ZCARD', KEYS[1])
else
  count = redis.call('RPUSH', KEYS[1], ARGV[1])
end
local totaldiff = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local size = redis.call('GET', KEYS[3])
if ARGV[4] ~= '' then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
end
if not size then return {0, count} end
local total = (tonumber(size) or 0) + totaldiff
if count ~= total then return {0, count} end
local entries
if ARGV[3] == '1' then entries = redis.call('ZRANGE', KEYS[1], 0, -1) else entries = redis.call('LRANGE', KEYS[1], 0, total) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {1, count, entries}

--[[
  Moves a queue's parked messages that are due back to their priority lists (LPUSH, earliest due
  first, so they are taken in due order), unchanged, and forgets them: each one is moved once, by
  whichever consumer runs this first. At most ARGV[2] messages per call.
  KEYS[1] the queue's ETA index (sorted set: tag -> due unix seconds)
  KEYS[2] the queue's parked messages (hash: tag -> priority step digit .. envelope)
  ARGV[1] move what is due at or before this time, unix seconds (float)
  ARGV[2] most messages to move
  ARGV[3..] pairs of priority step digit and that step's list (the lists are not KEYS: their number
            follows priority_steps, as in take-2.lua); a step without a pair goes to step 0's list
  Returns the number of index members handled (moved, or dropped when their message was missing):
  ARGV[2] means more may be due.
]]
local lists = {}
for i = 3, #ARGV, 2 do lists[ARGV[i]] = ARGV[i + 1] end
local tags = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #tags == 0 then return 0 end
for _, tag in ipairs(tags) do
  local value = redis.call('HGET', KEYS[2], tag)
  if value then
    redis.call('LPUSH', lists[string.sub(value, 1, 1)] or lists['0'], string.sub(value, 2))
  end
end
redis.call('ZREM', KEYS[1], unpack(tags))
redis.call('HDEL', KEYS[2], unpack(tags))
return #tags

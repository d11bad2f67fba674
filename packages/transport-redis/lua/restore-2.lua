--[[
  kombu's `restore_by_tag`: takes a delivered message out of the unacked bookkeeping and, if it was
  still there, pushes it (already marked redelivered) back to each of its queues.
  KEYS[1] the unacked hash
  KEYS[2] the unacked_index sorted set
  ARGV[1] the delivery tag
  ARGV[2] the envelope to push
  ARGV[3] 'left': LPUSH (the back of the queue, a requeued reject); otherwise RPUSH (the front:
          taken next, for a closing channel or the visibility sweep)
  ARGV[4..] the lists to push to (one per queue the message routes to; none drops it)
  Returns 1 when restored, 0 when the entry was gone (acked, or restored by another process).
]]
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 4, #ARGV do
  if ARGV[3] == 'left' then redis.call('LPUSH', ARGV[i], ARGV[2]) else redis.call('RPUSH', ARGV[i], ARGV[2]) end
end
return 1

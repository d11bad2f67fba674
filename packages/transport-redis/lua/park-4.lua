--[[
  Parks a message until its ETA (cq's broker-side ETA, not kombu's): stores it under its delivery
  tag and indexes it by due time; when it was a delivered message, also settles its unacked record
  (kombu's `QoS.ack`: ZREM + HDEL) in the same atomic step, so it is never both parked and unacked.
  Parking the same delivery tag again replaces the first copy (one message, one entry).
  KEYS[1] the queue's ETA index (sorted set: tag -> due unix seconds)
  KEYS[2] the queue's parked messages (hash: tag -> priority step digit .. envelope)
  KEYS[3] the unacked hash
  KEYS[4] the unacked_index sorted set
  ARGV[1] the delivery tag
  ARGV[2] when it is due, unix seconds (float)
  ARGV[3] the priority step digit followed by the envelope to push back when due
  Returns 1.
]]
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1

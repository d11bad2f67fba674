--[[
  Takes a lease lock that is free or expired, or renews it for its holder (beat's lock, the Redis
  transport's unacked_mutex).
  KEYS[1] the lock key
  ARGV[1] the holder's token
  ARGV[2] the lease, ms
  Returns 1 when the caller holds the lock afterwards (taken or renewed), 0 when another holder has it.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0

--[[
  Takes or renews the beat lock.
  KEYS[1] the lock key
  ARGV[1] the holder's token
  ARGV[2] the lease, ms
  Returns 1 when the caller holds the lock afterwards (taken or renewed), 0 when another holder has it.
]]
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0

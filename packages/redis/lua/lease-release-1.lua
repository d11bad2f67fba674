--[[
  Gives up a lease lock if the caller holds it (redis-py's Lock.release).
  KEYS[1] the lock key
  ARGV[1] the holder's token
  Returns 1 when the lock was deleted, 0 when another holder (or nobody) had it.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

--[[
  A batch of task-meta writes, each exactly as `store-1.lua` does it (skip when the stored meta is
  SUCCESS, else write with the expiry and PUBLISH), in one call: the worker stores the results of the
  tasks that finished in one event-loop turn together, one script call and one round trip for all.
  No KEYS: a batch's keys are in ARGV (their number varies with the batch), so it is used on a single
  Redis server (or a Sentinel's master) only; a Redis Cluster client stores each meta with store-1.lua.
  ARGV[1] 'json' | 'msgpack': how to read a stored meta's `status` (a value that does not decode is
          overwritten)
  ARGV[2..] per meta, three values: the key `celery-task-meta-<id>`, the encoded meta, the time to
          live in ms ('' for none)
  Returns one number per meta, in order: 1 when written and published, 0 when skipped (SUCCESS
  already stored).
]]
local out = {}
for i = 2, #ARGV, 3 do
  local key, value, ttl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local current = redis.call('GET', key)
  local succeeded = false
  if current then
    local ok, meta
    if ARGV[1] == 'msgpack' then ok, meta = pcall(cmsgpack.unpack, current) else ok, meta = pcall(cjson.decode, current) end
    succeeded = ok and type(meta) == 'table' and meta.status == 'SUCCESS'
  end
  if succeeded then
    out[#out + 1] = 0
  else
    if ttl == '' then redis.call('SET', key, value) else redis.call('PSETEX', key, ttl, value) end
    redis.call('PUBLISH', key, value)
    out[#out + 1] = 1
  end
end
return out

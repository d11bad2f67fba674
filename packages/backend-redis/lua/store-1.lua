--[[
  Celery's task-meta write (`BaseKeyValueStoreBackend._store_result` + `RedisBackend.set`) as one
  atomic step: skip when the stored meta is SUCCESS, else write with the expiry and PUBLISH.
  KEYS[1] `celery-task-meta-<id>`
  ARGV[1] the encoded meta
  ARGV[2] time to live in ms, '' for none
  ARGV[3] 'json' | 'msgpack': how to read the stored meta's `status` (a value that does not decode
          is overwritten)
  Returns 1 when written and published, 0 when skipped (SUCCESS already stored).
]]
local current = redis.call('GET', KEYS[1])
if current then
  local ok, meta
  if ARGV[3] == 'msgpack' then ok, meta = pcall(cmsgpack.unpack, current) else ok, meta = pcall(cjson.decode, current) end
  if ok and type(meta) == 'table' and meta.status == 'SUCCESS' then return 0 end
end
if ARGV[2] == '' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('PSETEX', KEYS[1], ARGV[2], ARGV[1]) end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1

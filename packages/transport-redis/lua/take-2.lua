--[[
  Takes up to ARGV[1] messages from a queue's priority lists, served in the order given (RPOP: the
  oldest first), and, when ARGV[3] is '1' (ack emulation), records each one as kombu's `QoS.append`
  does: `ZADD unacked_index <now> <tag>` and `HSET unacked <tag> [<envelope>, <exchange>, <routing_key>]`.
  KEYS[1] the unacked hash
  KEYS[2] the unacked_index sorted set
  ARGV[1] most messages to take
  ARGV[2] now, unix seconds (float)
  ARGV[3] '1' to record the messages as unacked, '0' not to
  ARGV[4..] the priority lists (their number follows priority_steps, so they are not KEYS; kombu's
            layout is for one Redis server, not a Cluster)
  Returns the envelopes (strings) as popped. Envelopes that are not JSON objects with a
  `properties.delivery_tag` are returned without bookkeeping (the client drops them).
]]
local max = tonumber(ARGV[1])
local out = {}
for i = 4, #ARGV do
  while #out < max do
    local payload = redis.call('RPOP', ARGV[i])
    if not payload then break end
    out[#out + 1] = payload
    if ARGV[3] == '1' then
      local ok, msg = pcall(cjson.decode, payload)
      if ok and type(msg) == 'table' and type(msg.properties) == 'table' and type(msg.properties.delivery_tag) == 'string' then
        local info = msg.properties.delivery_info
        local exchange, routing_key = '', ''
        if type(info) == 'table' then
          if type(info.exchange) == 'string' then exchange = info.exchange end
          if type(info.routing_key) == 'string' then routing_key = info.routing_key end
        end
        local tag = msg.properties.delivery_tag
        redis.call('ZADD', KEYS[2], ARGV[2], tag)
        redis.call('HSET', KEYS[1], tag, '[' .. payload .. ', ' .. cjson.encode(exchange) .. ', ' .. cjson.encode(routing_key) .. ']')
      end
    end
  end
  if #out >= max then break end
end
return out

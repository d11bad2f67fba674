/**
 * The Lua scripts of the transport, each with a header naming its KEYS, ARGV and reply, run through
 * EVALSHA with an EVAL fallback ({@link runScript}). They only make kombu's multi-command steps
 * atomic; the keys and values they write are exactly kombu's.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * take-N: pops up to ARGV[1] messages from the priority lists in order (RPOP: the oldest first) and,
 * when ARGV[3] is '1' (ack emulation), records each one as kombu's `QoS.append` does:
 * `ZADD unacked_index <now> <tag>` and `HSET unacked <tag> [<envelope>, <exchange>, <routing_key>]`.
 * KEYS[1] unacked hash, KEYS[2] unacked_index zset, KEYS[3..] priority lists (served first first).
 * ARGV[1] most messages, ARGV[2] now (unix seconds, float), ARGV[3] '1' | '0'.
 * Reply: array of envelopes (strings) as popped. Envelopes that are not JSON objects are returned
 * without bookkeeping (the client drops them).
 */
export const TAKE = script('take', `
local max = tonumber(ARGV[1])
local out = {}
for i = 3, #KEYS do
  while #out < max do
    local payload = redis.call('RPOP', KEYS[i])
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
`);

/**
 * restore-N: kombu's `restore_by_tag`. Removes tag ARGV[1] from KEYS[2] (index) and KEYS[1] (hash);
 * if the hash entry existed, pushes ARGV[2] (the envelope, already marked redelivered)
 * to each list KEYS[3..]: RPUSH (front: popped next) unless ARGV[3] is 'left' (LPUSH: back).
 * Reply: 1 restored, 0 the entry was gone (acked, or restored by another process).
 */
export const RESTORE = script('restore', `
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 3, #KEYS do
  if ARGV[3] == 'left' then redis.call('LPUSH', KEYS[i], ARGV[2]) else redis.call('RPUSH', KEYS[i], ARGV[2]) end
end
return 1
`);

/**
 * unlock-1: releases the `unacked_mutex` lock only if it still holds our token (redis-py `Lock.release`).
 * KEYS[1] lock key; ARGV[1] token. Reply: 1 released, 0 not ours (expired or taken over).
 */
export const UNLOCK = script('unlock', `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** Runs a script by SHA, loading it with EVAL when the server does not know it yet. */
export async function runScript(client: Redis, s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}

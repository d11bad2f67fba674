/**
 * chord-part-return-3: Celery's Redis chord counter (`RedisBackend.on_chord_part_return`, Celery
 * 5.2) as one atomic script, so Python and cq workers complete each other's chords.
 *
 * Keys, all `celery-taskset-meta-<group id>` plus a suffix:
 * - KEYS[1] `.j` the finished parts: a sorted set scored by `group_index` (`result_chord_ordered`,
 *   Celery's default) or a list (RPUSH); each member is the encoded `[1, task_id, state, result]`;
 * - KEYS[2] `.t` what `Task.add_to_chord` added to the size (INCR), usually missing;
 * - KEYS[3] `.s` the header size, written by the client that started the chord (`set_chord_size`).
 *
 * ARGV[1] the encoded entry; ARGV[2] its score (`group_index` or `+inf`); ARGV[3] `1` sorted set,
 * `0` list; ARGV[4] seconds the three keys live (`result_expires`), `''` for no expiry; ARGV[5] the
 * part's task id.
 *
 * Reply: `{0, count}` while parts are missing (or no `.s` is stored yet: Python's client writes it
 * just before sending the last part), and for a repeated part; `{1, count, entries}` for the call
 * that completed the chord, the entries in group order. That call also deletes the three keys, as
 * Celery does once it has read them; Celery reads and deletes in two further round trips (a repeat
 * landing in between fires the body again), here it is the same step, so exactly one worker sees
 * the entries.
 *
 * Repeated parts. With `acks_late`, a part that finished but was not acked when its worker died runs
 * again and returns again. Celery counts with ZADD + ZCOUNT, so it ignores a repeat only when the
 * encoded entry is byte-identical; a repeat whose result differs (it names the process, the host,
 * the time) counts twice and fires the body early, with that part twice and another one missing,
 * whose return later leaves a `.j` behind until it expires. Here a part whose `group_index` already
 * holds an entry of the same task id is not added, not counted, and never completes the chord: the
 * first return wins, as the task meta keeps the first SUCCESS (`store.ts`). Parts scored `+inf`
 * (no `group_index`: `add_to_chord`, old clients) and the list mode keep Celery's rule. A repeat
 * that comes after the chord completed finds no keys and, as in Celery, writes a `.j` that expires.
 */
import type { Redis } from 'ioredis';

const LUA = `
local count
if ARGV[3] == '1' then
  if ARGV[2] ~= '+inf' then
    for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2])) do
      if string.find(member, ARGV[5], 1, true) then return {0, redis.call('ZCARD', KEYS[1])} end
    end
  end
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  count = redis.call('ZCARD', KEYS[1])
else
  count = redis.call('RPUSH', KEYS[1], ARGV[1])
end
local totaldiff = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local size = redis.call('GET', KEYS[3])
if ARGV[4] ~= '' then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
end
if not size then return {0, count} end
local total = (tonumber(size) or 0) + totaldiff
if count ~= total then return {0, count} end
local entries
if ARGV[3] == '1' then entries = redis.call('ZRANGE', KEYS[1], 0, -1) else entries = redis.call('LRANGE', KEYS[1], 0, total) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {1, count, entries}
`;

/** The three keys of a chord header group (Celery `get_key_for_group(gid, '.j' | '.t' | '.s')`). */
export function chordKeys(groupKey: string): { joined: string; total: string; size: string } {
  return { joined: `${groupKey}.j`, total: `${groupKey}.t`, size: `${groupKey}.s` };
}

/** What {@link addChordPart} learnt: the entries when this part completed the chord, else null. */
export interface ChordPartReply {
  /** Parts finished so far, this one included. */
  count: number;
  /** The encoded entries in group order, only for the call that completed the chord. */
  entries: Buffer[] | null;
}

/**
 * Runs the script (EVALSHA, loading it with EVAL on NOSCRIPT) and returns what it says.
 * @param groupKey `celery-taskset-meta-<group id>` (with the global key prefix).
 * @param entry the encoded `[1, task_id, state, result]`.
 * @param groupIndex the part's `group_index`; null scores `+inf`, as in Celery.
 * @param ordered true for the sorted set (`result_chord_ordered`, default), false for the list.
 * @param ttlSeconds expiry of the keys, whole seconds (rounded up); null for none.
 * @param taskId the part's task id: its second return at the same `group_index` is not counted.
 */
export async function addChordPart(
  client: Redis, groupKey: string, entry: Buffer, groupIndex: number | null, ordered: boolean, ttlSeconds: number | null, taskId: string,
): Promise<ChordPartReply> {
  const keys = chordKeys(groupKey);
  const args = [
    entry, groupIndex === null ? '+inf' : String(groupIndex), ordered ? '1' : '0', ttlSeconds === null ? '' : String(Math.ceil(ttlSeconds)), taskId,
  ];
  const scripted = client as Redis & { cqChordPartReturnBuffer?: (...a: (string | Buffer)[]) => Promise<unknown> };
  // defineCommand gives the Buffer-returning variant and does EVALSHA, falling back to EVAL on NOSCRIPT.
  if (!scripted.cqChordPartReturnBuffer) client.defineCommand('cqChordPartReturn', { numberOfKeys: 3, lua: LUA });
  const reply = await scripted.cqChordPartReturnBuffer!(keys.joined, keys.total, keys.size, ...args);
  const [done, count, entries] = reply as [number, number, Buffer[] | undefined];
  return { count: Number(count), entries: Number(done) === 1 ? entries ?? [] : null };
}

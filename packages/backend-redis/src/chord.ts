/**
 * `lua/chord-part-return-3.lua`: Celery's Redis chord counter (`RedisBackend.on_chord_part_return`,
 * Celery 5.2) as one atomic script, so Python and cq workers complete each other's chords.
 *
 * Its keys are the group's `celery-taskset-meta-<group id>` plus `.j` (the finished parts), `.t`
 * (what `add_to_chord` added) and `.s` (the header size); the file's header names its KEYS, ARGV and
 * reply. No `.s` yet means the chord is not complete: Python's client writes it just before sending
 * the last part. The call that completes the chord also deletes the three keys, as Celery does once
 * it has read them; Celery reads and deletes in two further round trips (a repeat landing in between
 * fires the body again), here it is the same step, so exactly one worker sees the entries.
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
import { loadLuaScripts } from '@cq/redis';
import { LUA } from './lua.generated.js';

const scripts = loadLuaScripts(LUA, ['chord-part-return']);

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
 * Runs the script (@cq/redis: EVALSHA, loading it on NOSCRIPT) and returns what it says.
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
  // Entries are encoded results: binary-safe replies (Buffers).
  const reply = await scripts['chord-part-return'].runBuffer(client, [keys.joined, keys.total, keys.size], args);
  const [done, count, entries] = reply as [number, number, Buffer[] | undefined];
  return { count: Number(count), entries: Number(done) === 1 ? entries ?? [] : null };
}

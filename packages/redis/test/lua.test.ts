/**
 * The Lua loader and the lease lock on the shared Redis, 127.0.0.1:6379 db 3 (no other suite uses
 * it). Keys are fresh UUIDs and deleted afterwards. `SCRIPT FLUSH` empties the server's script cache
 * for every db: the other packages' loaders reload on their next NOSCRIPT, as this test shows.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@cq/tooling/testing';
import {
  acquireLease, connectRedisClient, createRedisClient, LuaScript, loadLuaScripts, parseRedisUrl, RedisLeaseLock, RedisScriptError, releaseLease,
} from '../src/index.js';

const client = createRedisClient(parseRedisUrl('redis://127.0.0.1:6379/3'), { connectionName: 'cq-redis-test' });
const monitor = createRedisClient(parseRedisUrl('redis://127.0.0.1:6379/3'));
const keys: string[] = [];
const key = (): string => {
  const k = `cqt.redis.${randomUUID()}`;
  keys.push(k);
  return k;
};

afterAll(async () => {
  if (keys.length > 0) await client.del(...keys);
  client.disconnect();
  monitor.disconnect();
});

/** Scripts by file name, as a package's generated `lua.generated.ts` holds them. */
const scriptDir = (files: Record<string, string>): Record<string, string> => files;

const SET_AND_ECHO = `--[[
  Sets KEYS[1] to ARGV[1] and replies with what is stored.
  KEYS[1] a key
  ARGV[1] a value
  Returns the stored value.
]]
redis.call('SET', KEYS[1], ARGV[1])
return redis.call('GET', KEYS[1])
`;

describe('loadLuaScripts and LuaScript', () => {
  it('every package\'s lua.generated.ts holds its lua/*.lua files as they are (tooling/gen-lua.ts --check)', () => {
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', 'tooling/gen-lua.ts', '--check'], { cwd: repoRoot, stdio: 'pipe' })).not.toThrow();
  });

  it('takes the key count from the file name', () => {
    const { echo } = loadLuaScripts(scriptDir({ 'echo-1.lua': SET_AND_ECHO, 'other-2.lua': SET_AND_ECHO }), ['echo']);
    expect(echo).toMatchObject({ name: 'echo', numKeys: 1, lua: SET_AND_ECHO });
    expect(echo.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('after SCRIPT FLUSH, answers NOSCRIPT by loading the script and running it again', async () => {
    await connectRedisClient(client);
    // A text (and SHA) of this run only, so concurrent runs elsewhere cannot have loaded it.
    const { echo } = loadLuaScripts(scriptDir({ 'echo-1.lua': `${SET_AND_ECHO}-- run ${randomUUID()}\n` }), ['echo']);
    await client.script('FLUSH');
    expect(await client.script('EXISTS', echo.sha)).toEqual([0]);
    // Watch the commands: EVALSHA (NOSCRIPT), SCRIPT LOAD, EVALSHA again, and no EVAL.
    const seen: string[] = [];
    await monitor.connect();
    const feed = await monitor.monitor();
    feed.on('monitor', (_time: string, args: string[]) => {
      // Only this script's commands: other suites may run scripts on the server meanwhile.
      if (args.includes(echo.sha) || args.some((a) => a.includes('Sets KEYS[1] to ARGV[1]'))) seen.push(args.slice(0, 2).join(' ').toUpperCase());
    });
    const k = key();
    expect(await echo.run(client, [k], ['hello'])).toBe('hello');
    expect(await echo.run(client, [k], ['again'])).toBe('again');
    await new Promise((r) => setTimeout(r, 100));
    feed.disconnect();
    // (A SCRIPT FLUSH by another process meanwhile would add a NOSCRIPT round; none ever sends EVAL.)
    const commands = seen.map((c) => c.replace(/^EVALSHA .*/, 'EVALSHA'));
    expect(commands.slice(0, 3)).toEqual(['EVALSHA', 'SCRIPT LOAD', 'EVALSHA']);
    expect(commands.filter((c) => c === 'EVALSHA')).toHaveLength(commands.filter((c) => c === 'SCRIPT LOAD').length + 2);
    expect(commands.some((c) => c.startsWith('EVAL '))).toBe(false);
  });

  it('returns bulk replies as Buffers with runBuffer, on plain and auto-pipelined connections', async () => {
    const { echo } = loadLuaScripts(scriptDir({ 'echo-1.lua': SET_AND_ECHO }), ['echo']);
    const bytes = Buffer.from([0, 255, 1, 128]);
    expect(await echo.runBuffer(client, [key()], [bytes])).toEqual(bytes);
    const pipelined = createRedisClient(parseRedisUrl('redis://127.0.0.1:6379/3'), { redis: { enableAutoPipelining: true } });
    try {
      const [a, b] = await Promise.all([echo.runBuffer(pipelined, [key()], [bytes]), echo.run(pipelined, [key()], ['text'])]);
      expect(a).toEqual(bytes);
      expect(b).toBe('text');
    } finally {
      pipelined.disconnect();
    }
  });

  it('passes the server\'s errors through', async () => {
    const { fail } = loadLuaScripts(scriptDir({ 'fail-0.lua': '-- Returns nothing: fails.\nreturn redis.call("NOSUCHCOMMAND")\n' }), ['fail']);
    await expect(fail.run(client, [])).rejects.toThrow(/Unknown Redis command|unknown command/i);
  });

  it('refuses a call with another number of keys, before sending it', async () => {
    const { echo } = loadLuaScripts(scriptDir({ 'echo-1.lua': SET_AND_ECHO }), ['echo']);
    await expect(echo.run(client, [key(), key()], ['x'])).rejects.toThrow(RedisScriptError);
    await expect(echo.run(client, [], ['x'])).rejects.toThrow(/takes 1 keys, was given 0/);
  });

  it('fails fast on a missing, doubled, misnamed or headerless script', () => {
    const dir = scriptDir({ 'a-1.lua': SET_AND_ECHO, 'a-2.lua': SET_AND_ECHO, 'bare-0.lua': 'return 1\n', 'noreturn-0.lua': '-- hello\nreturn 1\n' });
    expect(() => loadLuaScripts(dir, ['missing'])).toThrow(/found none/);
    expect(() => loadLuaScripts(dir, ['a'])).toThrow(/found a-1.lua, a-2.lua/);
    expect(() => loadLuaScripts(dir, ['bare'])).toThrow(/must open with a comment/);
    expect(() => loadLuaScripts(dir, ['noreturn'])).toThrow(/must open with a comment/);
    expect(() => LuaScript.fromSource('script.lua', SET_AND_ECHO)).toThrow(/<name>-<number of keys>.lua/);
  });
});

describe('Redis lease lock', () => {
  it('one holder at a time; renewal; release hands over at once; only the holder releases', async () => {
    const k = key();
    expect(await acquireLease(client, k, 'a', 5_000)).toBe(true);
    expect(await acquireLease(client, k, 'b', 5_000)).toBe(false);
    expect(await acquireLease(client, k, 'a', 5_000)).toBe(true);
    expect(await releaseLease(client, k, 'b')).toBe(false);
    expect(await client.get(k)).toBe('a');
    expect(await releaseLease(client, k, 'a')).toBe(true);
    expect(await acquireLease(client, k, 'b', 5_000)).toBe(true);
  });

  it('a lease that is not renewed runs out; the old holder learns it lost the lock', async () => {
    const k = key();
    const a = new RedisLeaseLock(client, k);
    const b = new RedisLeaseLock(() => client, k);
    expect(a.token).not.toBe(b.token);
    expect(await a.acquire(200)).toBe(true);
    expect(await client.pttl(k)).toBeGreaterThan(0);
    expect(await b.acquire(5_000)).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(await b.acquire(5_000)).toBe(true);
    expect(await a.acquire(5_000)).toBe(false);
    await a.release(); // not the holder: nothing happens
    expect(await client.get(k)).toBe(b.token);
  });

  it('maps a failure of the store through onError and runs onClose', async () => {
    const down = createRedisClient(parseRedisUrl('redis://127.0.0.1:1/3'), { redis: { maxRetriesPerRequest: 0, retryStrategy: () => null } });
    let closed = false;
    const lock = new RedisLeaseLock(down, 'k', { token: 't', onError: (err, action) => new Error(`${action}: ${String(err)}`), onClose: () => { closed = true; down.disconnect(); } });
    expect(lock.token).toBe('t');
    await expect(lock.acquire(1_000)).rejects.toThrow(/^taking the lease lock k: /);
    await lock.release(); // ignored
    await lock.close();
    expect(closed).toBe(true);
  });
});

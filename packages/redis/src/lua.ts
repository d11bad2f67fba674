/**
 * The one Lua loader of cq, on BullMQ's convention: a package keeps its scripts as files
 * `lua/<name>-<numKeys>.lua`, each opening with a comment that names its KEYS, ARGV and return
 * values. `node --import tsx tooling/gen-lua.ts` copies them into the package's
 * `src/lua.generated.ts` (a test fails while it is stale), which the package's modules load: no file
 * is read at run time, so cq bundles (Next.js, esbuild, webpack) like any other code.
 *
 * A call runs `EVALSHA`; when the server answers NOSCRIPT (it never saw the script, restarted, or ran
 * `SCRIPT FLUSH`) the script is loaded with `SCRIPT LOAD` and the `EVALSHA` sent again (on a Redis
 * Cluster client, `EVAL` instead: it goes to the node of the keys, which caches it). The number of
 * keys comes from the file name; a call with another number of keys is refused before it is sent.
 *
 * ```ts
 * import { LUA } from './lua.generated.js';
 * const scripts = loadLuaScripts(LUA, ['store']); // lua/store-1.lua
 * await scripts.store.run(client, [key], [value]);
 * ```
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisScriptError } from './errors.js';

/** An ARGV value: sent as its string, or as the bytes of a Buffer. */
export type LuaArg = string | number | Buffer;

const FILE_NAME = /^(.+)-(\d+)\.lua$/;

type EvalSha = (sha: string, numKeys: number, ...args: LuaArg[]) => Promise<unknown>;

/** One script: its text, SHA1 and key count. */
export class LuaScript {
  /** SHA1 of the text, as `SCRIPT LOAD` answers it. */
  readonly sha: string;

  /**
   * @param name the script name (`store` for `store-1.lua`).
   * @param numKeys how many of a call's arguments are KEYS.
   * @param lua the script text.
   */
  constructor(readonly name: string, readonly numKeys: number, readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * One script from its file name and text.
   * @throws RedisScriptError when the name is not `<name>-<numKeys>.lua` or the text does not open
   *   with a comment that states what it returns.
   */
  static fromSource(fileName: string, lua: string): LuaScript {
    const match = FILE_NAME.exec(fileName);
    if (!match) throw new RedisScriptError(`Lua script ${fileName} must be named <name>-<number of keys>.lua`);
    const header = /^\s*(--\[\[[\s\S]*?\]\]|(?:--[^\n]*\n)+)/.exec(lua)?.[1] ?? '';
    if (!/return/i.test(header)) {
      throw new RedisScriptError(`Lua script ${fileName} must open with a comment naming its KEYS, ARGV and return values`);
    }
    return new LuaScript(match[1]!, Number(match[2]), lua);
  }

  /**
   * Runs the script; bulk-string replies come back as strings.
   * @throws RedisScriptError when `keys` does not hold {@link numKeys} keys; the server's errors
   *   (ioredis `ReplyError`) and connection failures as ioredis raises them.
   */
  run(client: Redis, keys: readonly string[], args: readonly LuaArg[] = []): Promise<unknown> {
    return this.call(client, keys, args, false);
  }

  /** As {@link run}, with bulk-string replies as Buffers (for binary values). */
  runBuffer(client: Redis, keys: readonly string[], args: readonly LuaArg[] = []): Promise<unknown> {
    return this.call(client, keys, args, true);
  }

  /** Not `async`: scripts run on every task's path (take, store), so one promise per call, not three. */
  private call(client: Redis, keys: readonly string[], args: readonly LuaArg[], buffers: boolean): Promise<unknown> {
    if (keys.length !== this.numKeys) {
      return Promise.reject(new RedisScriptError(`Lua script ${this.name}-${this.numKeys}.lua takes ${this.numKeys} keys, was given ${keys.length}`));
    }
    // evalshaBuffer exists at runtime (ioredis makes a Buffer variant of every command) but not in its
    // types; callBuffer('EVALSHA', …) loses the command name when auto-pipelined (ioredis 5.11).
    // Taken unbound on purpose: `send` calls it with `client` as `this`.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const evalsha = buffers ? (client as unknown as { evalshaBuffer: EvalSha }).evalshaBuffer : (client.evalsha as EvalSha);
    let sent: Promise<unknown>;
    try {
      sent = evalsha.call(client, this.sha, this.numKeys, ...keys, ...args);
    } catch (err) {
      return Promise.reject(err);
    }
    return sent.then(undefined, (err: unknown) => this.recover(err, client, evalsha, keys, args, buffers));
  }

  /** After a failed EVALSHA: NOSCRIPT loads the script and sends it again (Cluster: EVAL); other errors are rethrown. */
  private async recover(err: unknown, client: Redis, evalsha: EvalSha, keys: readonly string[], args: readonly LuaArg[], buffers: boolean): Promise<unknown> {
    if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
    // A Cluster would send SCRIPT LOAD to any node: EVAL goes to the keys' node (and caches it there).
    if ((client as { isCluster?: boolean }).isCluster) {
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const evaluate = buffers ? (client as unknown as { evalBuffer: EvalSha }).evalBuffer : (client.eval as EvalSha);
      return evaluate.call(client, this.lua, this.numKeys, ...keys, ...args);
    }
    await client.script('LOAD', this.lua);
    return evalsha.call(client, this.sha, this.numKeys, ...keys, ...args);
  }
}

/** A package's scripts by file name (`store-1.lua` → its text): its `src/lua.generated.ts`. */
export type LuaSources = Readonly<Record<string, string>>;

/**
 * The scripts `names` of a package, each from its one `<name>-<numKeys>.lua` in `sources`. Call it
 * once, at module level.
 * @throws RedisScriptError when a name has no script or several, or a script is malformed.
 */
export function loadLuaScripts<N extends string>(sources: LuaSources, names: readonly N[]): Readonly<Record<N, LuaScript>> {
  const files = Object.keys(sources);
  const out = {} as Record<N, LuaScript>;
  for (const name of names) {
    const found = files.filter((f) => FILE_NAME.exec(f)?.[1] === name);
    if (found.length !== 1) {
      throw new RedisScriptError(`expected one Lua script ${name}-<number of keys>.lua, found ${found.length === 0 ? 'none' : found.join(', ')}`);
    }
    out[name] = LuaScript.fromSource(found[0]!, sources[found[0]!]!);
  }
  return out;
}

/**
 * Loads amqplib with one addition: its field-table decoder also accepts py-amqp's `L` tag (signed
 * int64), which Python Celery writes for integer headers beyond int32 and stock amqplib rejects with
 * "Unexpected type tag". amqplib's `lib/defs.js` copies `codec.decodeFields` into a local when it is
 * first loaded, so this module replaces that export with a wrapper (which rewrites `L` into amqplib's
 * own, identically laid out `l`, see `field-table.ts`) *before* requiring amqplib itself.
 *
 * If some other module loaded amqplib earlier in the process the replacement comes too late;
 * {@link int64TagSupported} then reports false (checked by decoding a sample header frame).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Amqplib from 'amqplib';
import { translatePyAmqpTags } from './field-table.js';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('amqplib'));

interface Codec {
  decodeFields: (slice: Buffer) => Record<string, unknown>;
  __cqPyAmqp?: true;
}

// An absolute path bypasses amqplib's `exports` map and shares the module cache with amqplib itself.
const codec = require(join(root, 'lib', 'codec.js')) as Codec;

/**
 * The key (a symbol: no peer can send one) of the table that stands for a field table amqplib could
 * not decode — nested too deep for its recursive decoder, an unknown type tag. A throw there would
 * close the whole connection (a frame error) and the message would come back on the next one,
 * forever; the channel drops such a message instead (see `channel.ts`).
 */
export const UNDECODABLE_TABLE: unique symbol = Symbol('cq.amqp.undecodable-table');

if (!codec.__cqPyAmqp) {
  const original = codec.decodeFields;
  codec.decodeFields = (slice: Buffer) => {
    try {
      return original(translatePyAmqpTags(slice));
    } catch (err) {
      return { [UNDECODABLE_TABLE]: err instanceof Error ? err.message : String(err) };
    }
  };
  codec.__cqPyAmqp = true;
}

/** amqplib's promise API. */
export const amqplib = require('amqplib') as typeof Amqplib;

interface Defs {
  decode(id: number, buffer: Buffer): { headers?: Record<string, unknown> };
  BasicProperties: number;
}

/** True when amqplib in this process decodes `L` header values (the patch above took effect). */
export const int64TagSupported: boolean = (() => {
  const defs = require(join(root, 'lib', 'defs.js')) as Defs;
  // property flags: headers only; table { n: L 2**40 }
  const frame = Buffer.from([0x20, 0x00, 0, 0, 0, 11, 1, 0x6e, 0x4c, 0, 0, 1, 0, 0, 0, 0, 0]);
  try {
    return defs.decode(defs.BasicProperties, frame).headers?.n === 2 ** 40;
  } catch {
    return false;
  }
})();

/** The socket under an amqplib channel (amqplib keeps it at `channel.connection.stream`). */
interface WithStream {
  connection?: { stream?: CorkableStream };
}

interface CorkableStream {
  cork?: () => void;
  uncork?: () => void;
  prependListener?: (event: 'drain', listener: () => void) => unknown;
}

const corked = new WeakSet<object>();
const drainBatched = new WeakSet<object>();

/**
 * Corks the channel's socket until the end of the next turn of the event loop, so a burst of publishes
 * leaves in a few large writes instead of one system call per message. No-op when amqplib's
 * internals are not where expected.
 */
export function corkUntilNextTurn(channel: Amqplib.Channel): void {
  const stream = (channel as unknown as WithStream).connection?.stream;
  if (!stream?.cork || !stream.uncork || corked.has(stream)) return;
  batchDrainWrites(stream);
  stream.cork();
  corked.add(stream);
  // amqplib's muxer writes the frames in a setImmediate of its own, queued after this one: uncork
  // one turn later so its writes are inside the cork.
  setImmediate(() => setImmediate(() => {
    corked.delete(stream);
    stream.uncork!();
  }));
}

/**
 * A burst larger than the socket's buffer (16 KiB) makes amqplib's muxer stop, then write the rest
 * from the socket's `drain` event, one frame per system call (a profile of 50,000 publishes spent a
 * tenth of the client's CPU there). Corking the socket for that handler's writes (a listener placed
 * before the muxer's, uncorked on the next tick) sends each refill as one `writev`.
 */
function batchDrainWrites(stream: CorkableStream): void {
  if (drainBatched.has(stream) || !stream.prependListener) return;
  drainBatched.add(stream);
  stream.prependListener('drain', () => {
    stream.cork!();
    process.nextTick(() => stream.uncork!());
  });
}

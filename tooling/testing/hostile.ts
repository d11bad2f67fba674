/**
 * Hostile message bodies for tests of the decoding path: compression bombs, values nested past any
 * recursive decoder, YAML alias bombs. Each is built in a few milliseconds and little memory.
 */
import { constants, deflateRawSync } from 'node:zlib';

const MiB = 1024 * 1024;

/**
 * A zlib stream (RFC 1950, what kombu's `zlib` compression writes) that inflates to `size` zero bytes
 * (default 1 GiB) from about `size / 1030` bytes: one deflate block per MiB of zeros, repeated, then a
 * final empty block and the right Adler-32. `size` is rounded down to whole MiB (at least 1).
 */
export function zlibBomb(size = 1024 * MiB): Buffer {
  const mebibytes = Math.max(1, Math.floor(size / MiB));
  // Compressed from a fresh window and flushed to a byte boundary: decodes alone, so it can repeat.
  const block = deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const final = Buffer.from([0x03, 0x00]); // a last, empty block of fixed codes
  const total = mebibytes * MiB;
  // Adler-32 of n zero bytes: a = 1, b = n mod 65521.
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array.from({ length: mebibytes }, () => block), final, adler]);
}

/** `depth` JSON arrays nested in each other: `[[[…]]]`. */
export function deepJsonArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `depth` MessagePack arrays of one element nested in each other, around a nil. */
export function deepMsgpackArray(depth: number): Buffer {
  return Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]);
}

/** A YAML block sequence nested `depth` deep on one line: `- - - … x`. */
export function deepYamlSequence(depth: number): string {
  return `${'- '.repeat(depth)}x`;
}

/** The "billion laughs" YAML document: nine levels of nine aliases, 9^9 strings once expanded. */
export function billionLaughsYaml(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = `*${names[i - 1]}`;
    lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(prev).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
}


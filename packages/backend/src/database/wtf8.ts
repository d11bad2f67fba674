/**
 * UTF-8 as Python's pickle writes and reads `str` (`'utf-8', 'surrogatepass'`): a lone surrogate,
 * which a Python str (and a JS string) may hold, is written as its 3-byte form instead of failing
 * (Python) or becoming U+FFFD (Node's encoder).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes Python's `s.encode('utf-8', 'surrogatepass')` gives. */
export function encodeUtf8SurrogatePass(text: string): Buffer {
  if (!LONE_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return Buffer.from(bytes);
}

/**
 * The text of `bytes` as Python's `bytes.decode('utf-8', 'surrogatepass')` reads it, or null when
 * the bytes are not UTF-8 (Python raises UnicodeDecodeError).
 */
export function decodeUtf8SurrogatePass(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeSlow(bytes);
  }
}

function decodeSlow(b: Uint8Array): string | null {
  let out = '';
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    let code: number;
    let need: number;
    let min: number;
    if (c < 0x80) { code = c; need = 0; min = 0; }
    else if (c >= 0xc2 && c <= 0xdf) { code = c & 0x1f; need = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { code = c & 0x0f; need = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { code = c & 0x07; need = 3; min = 0x10000; }
    else return null;
    for (let k = 1; k <= need; k++) {
      const next = b[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return null;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff) return null;
    out += String.fromCodePoint(code);
    i += need + 1;
  }
  return out;
}

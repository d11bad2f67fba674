/**
 * The `id` Celery's DynamoDB backend stores. Celery's key-value keys are bytes
 * (`KeyValueStoreBackend.key_t = ensure_bytes`) and `DynamoDBBackend.get/set/delete` do `str(key)`,
 * so every Celery version so far stores Python's *repr* of those bytes: the task key
 * `celery-task-meta-<id>` is the item `b'celery-task-meta-<id>'`. cq writes and reads the same ids.
 */

/** Python's `str(key.encode('utf-8'))`: `b'…'`, or `b"…"` when the text has `'` but no `"`. */
export function pythonBytesRepr(key: string): string {
  const bytes = Buffer.from(key, 'utf8');
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? 0x22 : 0x27;
  let out = '';
  for (const c of bytes) {
    if (c === quote || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(c);
  }
  const q = String.fromCharCode(quote);
  return `b${q}${out}${q}`;
}

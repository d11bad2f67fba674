/**
 * Secrets are never rendered: what workers report (inspect `stats` carries the broker connection's
 * `password` on Python Celery, `conf` may hold URLs) passes through {@link redactSecrets} before it
 * is stored or served. Values under a secret-looking key become `********`; URLs in any string
 * have their password masked (`redactUrls`).
 */
import { redactUrls } from '@cq/celery';

const SECRET_KEY = /pass(word|wd)?$|secret|token|credential|private_key|api_key|access_key|auth$/i;
export const MASK = '********';

/** A deep copy of `value` with secrets masked. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrls(value, MASK);
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null && v !== '' ? MASK : redactSecrets(v, depth + 1)]));
}

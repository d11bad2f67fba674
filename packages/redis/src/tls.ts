/**
 * TLS settings of a `rediss://` connection as Celery and kombu take them: the `ssl_*` query options
 * of the URL, and the dict of Celery's `broker_use_ssl` / `redis_backend_use_ssl` (same keys), the
 * dict winning key by key.
 *
 * `ssl_cert_reqs` reads as kombu's `parse_ssl_cert_reqs` (`CERT_REQUIRED`, `CERT_OPTIONAL`,
 * `CERT_NONE`, `required`, `optional`, `none`; any case here) and also takes Python's `ssl` constants
 * 2, 1, 0. Missing, it is `required`: kombu's broker would fall back to `CERT_NONE` with a warning and
 * Celery's backend refuses the URL; cq verifies instead. `optional` verifies like `required`: for a
 * client socket Python's `CERT_OPTIONAL` means the same as `CERT_REQUIRED` (the server always sends
 * a certificate).
 *
 * Each resolved setting remembers where it was given (`names`), so a failed handshake names the
 * setting to fix as the user wrote it: `broker_use_ssl.ssl_ca_certs`, or `ssl_ca_certs in broker_url`.
 */
import { certReqs as readCertReqs, closestName, type CertReqs, type TlsSettingNames } from '@cq/kombu';
import { RedisConfigurationError } from './errors.js';

export type { CertReqs };

/** Celery's `broker_use_ssl` / `redis_backend_use_ssl` for Redis, keys as in Python. */
export interface RedisTlsSettings {
  /** `CERT_REQUIRED` | `CERT_OPTIONAL` | `CERT_NONE` (or `required` | `optional` | `none`, or 2 | 1 | 0). Default `required`. */
  ssl_cert_reqs?: string | number;
  /** Path of a PEM file of the certificate authorities to trust (instead of Node's bundled list). */
  ssl_ca_certs?: string;
  /** Path of the client certificate (PEM), for servers that check clients. */
  ssl_certfile?: string;
  /** Path of the client certificate's private key (PEM). */
  ssl_keyfile?: string;
  /** Check that the certificate names the host. Default true, unless `ssl_cert_reqs` is none. */
  ssl_check_hostname?: boolean | string;
}

/** Resolved TLS settings of a parsed URL. */
export interface RedisTls {
  certReqs: CertReqs;
  /** File paths as given; read when a client is created. */
  caCertsFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  checkHostname: boolean;
  /** Each setting as the user gave it, for messages (see {@link TlsNaming}). */
  names: TlsSettingNames;
}

/** How to name the settings in messages: Celery's setting of the dict and of the URL. */
export interface TlsNaming {
  /** The dict's setting, e.g. `broker_use_ssl` or `redis_backend_use_ssl`; null: bare key names. */
  setting: string | null;
  /** The URL's setting, e.g. `broker_url` or `result_backend`. */
  urlSetting: string;
}

/** The `ssl_*` keys of a URL query or a TLS settings dict. */
export const TLS_KEYS: readonly (keyof RedisTlsSettings)[] = ['ssl_cert_reqs', 'ssl_ca_certs', 'ssl_certfile', 'ssl_keyfile', 'ssl_check_hostname'];

/** True when `settings` (a URL query or a dict) holds any `ssl_*` key with a value. */
export function hasTlsSettings(settings: object | null | undefined): boolean {
  return !!settings && Object.entries(settings).some(([k, v]) => k.startsWith('ssl_') && v !== undefined && v !== null);
}

/**
 * Merges the URL's `ssl_*` query options with `settings` (winning) into {@link RedisTls}.
 * @param where the redacted URL, for messages.
 * @throws RedisConfigurationError for an unknown `ssl_*` key, an unknown `ssl_cert_reqs`, a
 *   `ssl_check_hostname` that is not a boolean, or hostname checks asked for without certificate checks.
 */
export function resolveTls(
  query: Readonly<Record<string, string>>, settings: RedisTlsSettings | null | undefined, where: string, naming: TlsNaming = { setting: null, urlSetting: 'the Redis URL' },
): RedisTls {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) if (key.startsWith('ssl_')) merged[key] = value;
  for (const [key, value] of Object.entries(settings ?? {})) if (value !== undefined && value !== null) merged[key] = value;
  for (const key of Object.keys(merged)) {
    if (!(TLS_KEYS as readonly string[]).includes(key)) {
      const closest = closestName(key, TLS_KEYS);
      throw new RedisConfigurationError(`unknown TLS setting ${key} for ${where}${closest ? `: did you mean ${closest}?` : ''} (known: ${TLS_KEYS.join(', ')})`);
    }
  }
  const rawReqs = merged['ssl_cert_reqs'];
  const certReqs = rawReqs === undefined ? 'required' : readCertReqs(rawReqs);
  if (!certReqs) {
    throw new RedisConfigurationError(`ssl_cert_reqs ${JSON.stringify(rawReqs)} for ${where} is not one of CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE (or required, optional, none)`);
  }
  const checkHostname = merged['ssl_check_hostname'] === undefined ? certReqs !== 'none' : toBoolean(merged['ssl_check_hostname'], where);
  if (checkHostname && certReqs === 'none') {
    throw new RedisConfigurationError(`ssl_check_hostname is on but ssl_cert_reqs is none for ${where}: a host name cannot be checked without the certificate; drop one of them`);
  }
  const name = (key: keyof RedisTlsSettings): string => {
    const inDict = settings?.[key] !== undefined && settings[key] !== null;
    if (!inDict && query[key] !== undefined) return `${key} in ${naming.urlSetting}`;
    return naming.setting ? `${naming.setting}.${key}` : key;
  };
  return {
    certReqs, checkHostname,
    caCertsFile: path(merged, 'ssl_ca_certs', where), certFile: path(merged, 'ssl_certfile', where), keyFile: path(merged, 'ssl_keyfile', where),
    names: { caCerts: name('ssl_ca_certs'), certfile: name('ssl_certfile'), keyfile: name('ssl_keyfile'), hostname: name('ssl_check_hostname'), url: naming.urlSetting },
  };
}

function path(settings: Record<string, unknown>, key: string, where: string): string | null {
  const value = settings[key];
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string') throw new RedisConfigurationError(`${key} for ${where} must be a file path, got ${JSON.stringify(value)}`);
  return value;
}

/** redis-py's `to_bool` plus booleans: false, 0, f, n, no (any case) are false; true, 1, t, y, yes true. */
function toBoolean(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['false', '0', 'f', 'n', 'no'].includes(text)) return false;
  if (['true', '1', 't', 'y', 'yes'].includes(text)) return true;
  throw new RedisConfigurationError(`ssl_check_hostname for ${where} must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Failures no reconnect can fix, told apart from a server that is down or restarting:
 *
 * ```
 * Node TLS error (untrusted certificate, missing client certificate, …) → kombu TlsError            CQ_KOMBU_TLS
 * ReplyError WRONGPASS / NOAUTH (wrong or missing user or password)     → kombu AuthenticationError CQ_KOMBU_AUTHENTICATION
 * anything else                                                         → null (the caller's error; ioredis reconnects)
 * ```
 *
 * Both are ConfigurationErrors, so nothing retries them; their messages name the setting to fix,
 * as the URL was given (`broker_use_ssl.ssl_ca_certs`, `the user and password in broker_url`), and
 * never the password.
 */
import { AuthenticationError, tlsFailure, type TlsError } from '@cq/kombu';
import type { RedisUrl } from './url.js';

const AUTH = /^(WRONGPASS|NOAUTH)\b/;

/** The fatal error `err` stands for when connecting to `url`, or null when another attempt may succeed. */
export function redisFatalError(err: unknown, url: RedisUrl): TlsError | AuthenticationError | null {
  if ((err as { name?: unknown } | null)?.name === 'ReplyError') {
    const reply = (err as Error).message;
    if (!AUTH.test(reply)) return null;
    const user = url.username ?? 'default';
    return new AuthenticationError(
      `authentication failed for user ${JSON.stringify(user)} at ${url.where} (${reply.trim()}): check the user and password in ${url.urlSetting}`,
      url.username, url.urlSetting, { cause: err },
    );
  }
  return url.tls ? tlsFailure(err, url.tls.names, url.where) : null;
}


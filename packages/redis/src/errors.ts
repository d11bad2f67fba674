/**
 * Errors raised by @cq/redis. They extend @cq/kombu's classes, so a transport or backend built on this
 * package reports a bad URL as the `ConfigurationError` its callers already handle.
 *
 * ```
 * KombuError (@cq/kombu)
 * ├── ConfigurationError (@cq/kombu)
 * │   └── RedisConfigurationError    CQ_REDIS_CONFIGURATION  bad Redis URL, query option or TLS setting
 * │                                                          (names the fix; never shows the password)
 * └── RedisScriptError               CQ_REDIS_SCRIPT         a Lua file is missing, misnamed or has no header,
 *                                                            or a script was run with the wrong number of keys
 * ```
 *
 * Replies of the server (`ReplyError` of ioredis) and connection failures pass through unchanged:
 * each package maps them onto its own errors (the transport onto kombu's, the backend onto its store errors).
 */
import { ConfigurationError, KombuError } from '@cq/kombu';

/** A Redis URL, one of its query options, or a TLS setting is wrong. The message names the fix. */
export class RedisConfigurationError extends ConfigurationError {
  override readonly code = 'CQ_REDIS_CONFIGURATION';
}

/** A Lua script file cannot be used as shipped, or a script was called with the wrong key count. */
export class RedisScriptError extends KombuError {
  override readonly code = 'CQ_REDIS_SCRIPT';
}

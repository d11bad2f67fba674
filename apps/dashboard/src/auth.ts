/**
 * Access control, one hook for the API and the UI alike (so both enforce the same rules):
 *
 * - With `basicAuth` (`user:password` pairs, Flower `--basic-auth`) or `authTokens` configured,
 *   every request but `GET /healthcheck` needs `Authorization: Basic ...` with a listed pair or
 *   `Authorization: Bearer <token>` with a listed token; otherwise 401, with a `WWW-Authenticate:
 *   Basic` challenge when basic auth is on (browsers then ask for a password). Credentials are
 *   compared in constant time.
 * - With `readOnly`, any request but GET, HEAD and OPTIONS is refused with 403: every action of
 *   the API (revoke, apply, pool, queue, rate and time limits, shutdown) and of the UI.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface AccessOptions {
  basicAuth: readonly string[];
  authTokens: readonly string[];
  readOnly: boolean;
}

/** Paths answered without credentials (Flower's health check). */
const OPEN_PATHS = new Set(['/healthcheck']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
const listed = (candidate: string, accepted: readonly Buffer[]): boolean => {
  const d = digest(candidate);
  // Every entry is compared, so the time taken does not tell which one matched.
  return accepted.reduce((found, a) => timingSafeEqual(a, d) || found, false);
};

/** The `onRequest` hook enforcing {@link AccessOptions}. */
export function accessHook(options: AccessOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const basic = options.basicAuth.map(digest);
  const tokens = options.authTokens.map(digest);
  const protect = basic.length + tokens.length > 0;
  return async (request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    if (protect && !OPEN_PATHS.has(path)) {
      const header = request.headers.authorization ?? '';
      const [scheme = '', value = ''] = header.split(/\s+/, 2);
      let ok = false;
      if (/^basic$/i.test(scheme) && basic.length) ok = listed(Buffer.from(value, 'base64').toString('utf8'), basic);
      else if (/^bearer$/i.test(scheme) && tokens.length) ok = listed(value, tokens);
      if (!ok) {
        if (basic.length) void reply.header('WWW-Authenticate', 'Basic realm="cq dashboard"');
        return reply.code(401).type('text/plain').send('Access denied');
      }
    }
    if (options.readOnly && !SAFE_METHODS.has(request.method)) {
      return reply.code(403).type('text/plain').send('The dashboard is read-only: actions are disabled');
    }
  };
}

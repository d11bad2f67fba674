/**
 * Broker URL parsing, kombu style (`kombu/utils/url.py`):
 * `transport://[userid[:password]@]hostname[:port]/[virtual_host][?query]`.
 * The path after the first `/` is the virtual host as written, so `sqlite:///.cq/broker.db` names the
 * relative file `.cq/broker.db` and `sqlite:////var/cq.db` the absolute `/var/cq.db` (SQLAlchemy's rule).
 */
import { ConfigurationError } from '../errors.js';
import type { BrokerUrl } from './types.js';

const EXAMPLES = 'e.g. sqlite:///.cq/broker.db, amqp://guest:guest@localhost:5672//, redis://localhost:6379/0, memory://';

/** Parses a broker URL. Throws {@link ConfigurationError} naming the expected form. */
export function parseUrl(url: string): BrokerUrl {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(url.trim());
  if (!match) throw new ConfigurationError(`invalid broker URL ${JSON.stringify(url)}: expected transport://[user:password@]host[:port]/[vhost] (${EXAMPLES})`);
  const transport = match[1]!.toLowerCase();
  let rest = match[2]!;
  const query: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(rest.slice(q + 1))) query[k] = v;
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  const netloc = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : null;
  let userid: string | null = null;
  let password: string | null = null;
  let hostport = netloc;
  const at = netloc.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = netloc.slice(0, at);
    hostport = netloc.slice(at + 1);
    const colon = userinfo.indexOf(':');
    userid = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo) || null;
    password = colon >= 0 ? decode(userinfo.slice(colon + 1)) : null;
  }
  let hostname: string | null = hostport;
  let port: number | null = null;
  // A host list (MongoDB's `h1:27017,h2:27017`) stays whole in `hostname`, for its transport to read.
  const portMatch = hostport.includes(',') ? [hostport, hostport] : /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  if (!portMatch) throw new ConfigurationError(`invalid host in broker URL ${JSON.stringify(redact(url))} (${EXAMPLES})`);
  hostname = portMatch[1] ? decode(portMatch[1].replace(/^\[|\]$/g, '')) : null;
  if (portMatch[2]) {
    port = Number(portMatch[2]);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigurationError(`invalid port ${portMatch[2]} in broker URL ${JSON.stringify(redact(url))}: use 1-65535`);
  }
  return { transport, hostname, port, userid, password, virtualHost: path === null || path === '' ? null : decode(path), query, href: url };
}

/**
 * The URL with its password masked, for logs, banners and error messages (kombu
 * `as_uri(include_password=False)`, `maybe_sanitize_url`): the password of each URL of a `;`-separated
 * failover list (also one with an unencoded `@` or `/`), the values of `password`/`secret`/`token`
 * query options, and an Azure connection string's `AccountKey`/`SharedAccessSignature`. The user
 * name stays. `mask` replaces each secret (default `**`, Celery's; its reports use `********`).
 */
export function redact(url: string, mask = '**'): string {
  return url.split(';').map((part) => redactOne(part, mask)).join(';')
    .replace(/\b(AccountKey|SharedAccessSignature)=[^;]*/gi, `$1=${mask}`); // azureblockblob://<connection string>
}

/**
 * `text` with {@link redact} applied to every URL in it (a `scheme://…` run up to white space or a
 * quote): for free text that may quote a URL, such as log lines and error messages.
 */
export function redactUrls(text: string, mask = '**'): string {
  return text.includes('://') ? text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>`]*/g, (url) => redact(url, mask)) : text;
}

function redactOne(part: string, mask: string): string {
  const match = /^(\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/)([^?#]*)(.*)$/s.exec(part);
  if (!match) return part;
  const [, head, rest, tail] = match as unknown as [string, string, string, string];
  let body = rest;
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  if (at > 0 && !rest.startsWith('/') && colon >= 0 && colon < at) body = `${rest.slice(0, colon + 1)}${mask}${rest.slice(at)}`;
  const query = tail.replace(/([?&][^=&#]*(?:pass|secret|token)[^=&#]*=)[^&#]*/gi, `$1${mask}`);
  return `${head}${body}${query}`;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

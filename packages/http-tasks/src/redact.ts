/**
 * URLs as they may be shown in errors and logs: no user or password, and query values masked
 * (tokens travel in queries: `?api_key=...`), keys kept so the call can still be recognised.
 */

/** `url` without credentials, with every query value replaced by `***`, without the fragment. */
export function redactUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '<not a URL>';
  }
  const keys = [...parsed.searchParams.keys()];
  const query = keys.length > 0 ? `?${keys.map((k) => `${encodeURIComponent(k)}=***`).join('&')}` : '';
  const user = parsed.username || parsed.password ? '***@' : '';
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}${query}`;
}

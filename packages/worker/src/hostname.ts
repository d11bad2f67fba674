/**
 * Worker node names (Celery `celery/utils/nodenames.py`): `name@host`, with `%h` (full host name),
 * `%n` (the part before the first dot) and `%d` (the domain) expanded. A name without `@` gets the
 * `celery@` prefix, as `celery worker -n` does.
 */
import os from 'node:os';

export function nodename(name?: string | null, host: string = os.hostname()): string {
  const short = host.split('.')[0] ?? host;
  const domain = host.includes('.') ? host.slice(host.indexOf('.') + 1) : '';
  const raw = name && name !== '' ? name : 'celery@%h';
  const expanded = raw.replace(/%h/g, host).replace(/%n/g, short).replace(/%d/g, domain).replace(/%%/g, '%');
  return expanded.includes('@') ? expanded : `celery@${expanded}`;
}

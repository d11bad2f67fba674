/**
 * Python's `glob.glob(pattern)` for file patterns such as `/etc/celery/certs/*.pem`: `*`, `?` and
 * `[...]` in any path segment, hidden names (leading `.`) matched only by a segment that starts with
 * `.`, as Python does. A directory given as is stands for every file in it (Celery's cert store
 * rule: `os.path.join(path, '*')`). Synchronous, like Celery's set-up; results sorted.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fnmatch } from './fnmatch.js';

const MAGIC = /[*?[]/;

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The files matching `pattern` (see the module doc), sorted; none when nothing matches. */
export function globFiles(pattern: string): string[] {
  const full = isDirectory(pattern) ? path.join(pattern, '*') : pattern;
  const root = path.isAbsolute(full) ? path.parse(full).root : '';
  let found = [root || '.'];
  for (const segment of full.slice(root.length).split(/[\\/]+/).filter(Boolean)) {
    const next: string[] = [];
    for (const dir of found) {
      if (!MAGIC.test(segment)) {
        next.push(path.join(dir, segment));
        continue;
      }
      if (!isDirectory(dir)) continue;
      const re = fnmatch(segment);
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (re.test(name)) next.push(path.join(dir, name));
      }
    }
    found = next;
  }
  return found.filter((file) => { try { return statSync(file).isFile(); } catch { return false; } }).sort();
}

/**
 * Loads an optional package that cq does not depend on (the GPL-licensed `compressjs` for bzip2),
 * under pnpm's strict layout: first as seen from this package, then as seen from the application
 * (the working directory), where the user installed it. Returns null when it is installed nowhere.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);
import path from 'node:path';

function isNotFound(err: unknown, pkg: string): boolean {
  const code = (err as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(pkg);
}

/** Loads an optional CommonJS package (e.g. the GPL `compressjs`) synchronously; null when installed nowhere. */
export function requirePackage<T>(pkg: string, fromDirs: string[] = [process.cwd()]): T | null {
  for (const req of [requireHere, ...fromDirs.map((dir) => createRequire(path.join(dir, 'package.json')))]) {
    try {
      return req(pkg) as T;
    } catch (err) {
      if (!isNotFound(err, pkg)) throw err;
    }
  }
  return null;
}

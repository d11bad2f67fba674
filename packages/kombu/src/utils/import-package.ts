/**
 * Imports an optional package by name, the way a plugin registry needs it under pnpm's strict
 * layout: first as seen from this package, then as seen from the application (the working
 * directory), where the user installed it. Returns null when the package is installed nowhere.
 * {@link requirePackage} does the same synchronously, for CommonJS packages.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function isNotFound(err: unknown, pkg: string): boolean {
  const code = (err as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(pkg);
}

export async function importPackage<T>(pkg: string, fromDirs: string[] = [process.cwd()]): Promise<T | null> {
  try {
    return (await import(pkg)) as T;
  } catch (err) {
    if (!isNotFound(err, pkg)) throw err;
  }
  for (const dir of fromDirs) {
    let resolved: string;
    try {
      resolved = createRequire(path.join(dir, 'package.json')).resolve(pkg);
    } catch (err) {
      if (isNotFound(err, pkg)) continue;
      throw err;
    }
    return (await import(pathToFileURL(resolved).href)) as T;
  }
  return null;
}

/** Synchronous {@link importPackage} for a CommonJS package; null when installed nowhere. */
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

/**
 * The peers the tests run against besides Node: Debian's Python with Celery and its drivers, and
 * server programs. A test that needs one calls `requirePython([...])` or `requireCommand(...)`
 * first; a missing peer throws `MissingPeerError` naming the command that installs it, so the test
 * fails with the fix instead of being skipped. `corepack pnpm test` installs the Python peers itself
 * (`install-peers.ts`).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { MissingPeerError } from './errors.js';

/**
 * The interpreter Python peers run on: Debian's, where python3-celery installs (a pyenv `python3`
 * earlier on PATH lacks Celery).
 */
export const PYTHON = '/usr/bin/python3';

/** The Debian package that provides each Python module the tests import. */
export const PYTHON_MODULE_PACKAGES = {
  celery: 'python3-celery',
  kombu: 'python3-kombu',
  amqp: 'python3-amqp',
  redis: 'python3-redis',
  msgpack: 'python3-msgpack',
  yaml: 'python3-yaml',
  sqlalchemy: 'python3-sqlalchemy',
  psycopg2: 'python3-psycopg2',
  pymysql: 'python3-pymysql',
  boto3: 'python3-boto3',
  pycurl: 'python3-pycurl',
  cryptography: 'python3-cryptography',
  pymongo: 'python3-pymongo',
  pylibmc: 'python3-pylibmc',
  pydantic: 'python3-pydantic', // apps/interop/py/schema_tasks.py (Bookworm ships pydantic 1.10)
} as const;

/** A Python module a test may require. */
export type PythonModule = keyof typeof PYTHON_MODULE_PACKAGES;

/**
 * Every Python module the test suite imports somewhere; `corepack pnpm test` installs the packages
 * of those missing. kombu and amqp come with python3-celery.
 */
export const TEST_PYTHON_MODULES: readonly PythonModule[] = Object.keys(PYTHON_MODULE_PACKAGES) as PythonModule[];

/**
 * Server programs the tests start themselves (a private instance on a free port), each with the
 * Debian package that installs it; `corepack pnpm test` installs the packages of those missing.
 */
export const TEST_COMMANDS: Readonly<Record<string, string>> = {
  memcached: 'memcached',
  openssl: 'openssl',
  sqlite3: 'sqlite3',
  chromium: 'chromium',
  'redis-cli': 'redis-tools', // Sentinel group and Cluster tests of @cq/transport-redis (redis-server itself is a service)
};

/** The Debian packages of `modules`, in the order given, without repeats. */
export function debianPackages(modules: readonly PythonModule[]): string[] {
  return [...new Set(modules.map((m) => PYTHON_MODULE_PACKAGES[m]))];
}

/** `apt-get update && apt-get install -y <packages>`, the command the messages name. */
export function aptInstallCommand(packages: readonly string[]): string {
  return `apt-get update && apt-get install -y ${packages.join(' ')}`;
}

export interface PythonCheck {
  /** Interpreter that was tried. */
  python: string;
  /** Modules it could not import (every asked module when the interpreter is missing). */
  missing: PythonModule[];
  /** Why: the interpreter's last error line, or the spawn error. Empty when nothing is missing. */
  reason: string;
}

/**
 * Tries to import `modules` with `python` in one child process (about 0.3 s with Celery), then each
 * alone to tell which are missing. Never throws.
 */
export function checkPython(modules: readonly PythonModule[], python: string = PYTHON): PythonCheck {
  const tryImport = (names: readonly string[]) => spawnSync(python, ['-c', names.length ? `import ${names.join(', ')}` : 'pass'], { encoding: 'utf8', timeout: 30_000 });
  const all = tryImport(modules);
  if (all.status === 0) return { python, missing: [], reason: '' };
  if (all.error) return { python, missing: [...modules], reason: all.error.message };
  const missing = modules.length > 1 ? modules.filter((m) => tryImport([m]).status !== 0) : [...modules];
  const reason = (all.stderr ?? '').trim().split('\n').pop() || `exit status ${String(all.status ?? all.signal)}`;
  return { python, missing, reason };
}

const satisfied = new Set<string>();

/**
 * Returns `python` (default `/usr/bin/python3`) once it imports every module in `modules`; with no
 * modules, once the interpreter runs. Checked once per interpreter and module list per process.
 * @throws MissingPeerError naming the `apt-get install -y python3-...` command that installs what is missing.
 */
export function requirePython(modules: readonly PythonModule[] = [], options: { python?: string } = {}): string {
  const python = options.python ?? PYTHON;
  const key = `${python}\0${modules.join(',')}`;
  if (satisfied.has(key)) return python;
  const check = checkPython(modules, python);
  if (check.missing.length === 0 && check.reason === '') {
    satisfied.add(key);
    return python;
  }
  const packages = check.missing.length ? debianPackages(check.missing) : ['python3'];
  const command = aptInstallCommand(packages);
  const what = check.missing.length ? `${python} cannot import ${check.missing.join(', ')}` : `${python} does not run`;
  throw new MissingPeerError(
    `Python peer missing: ${what} (${check.reason}). Install it as root with \`${command}\`, or run \`corepack pnpm test\`, which installs every test peer.`,
    command,
  );
}

/** The first executable `command` on PATH (or `command` itself when it holds a slash), else null. */
export function findExecutable(command: string, searchPath: string = process.env['PATH'] ?? ''): string | null {
  const candidates = command.includes('/') ? [command] : searchPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, command));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Returns the path of `command` (a name looked up on PATH, or an absolute path) when it is installed.
 * @param debianPackage the package that installs it, e.g. `redis-server` or `rabbitmq-server`.
 * @throws MissingPeerError naming `apt-get install -y <debianPackage>`.
 */
export function requireCommand(command: string, debianPackage: string): string {
  const found = findExecutable(command);
  if (found) return found;
  const install = aptInstallCommand([debianPackage]);
  throw new MissingPeerError(`\`${command}\` is missing: install it as root with \`${install}\`.`, install);
}

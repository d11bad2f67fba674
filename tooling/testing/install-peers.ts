/**
 * Installs the Debian packages of the Python peers (`TEST_PYTHON_MODULES`) and of the server
 * programs the tests start (`TEST_COMMANDS`: memcached) when `/usr/bin/python3` cannot import them
 * all or a program is missing: `apt-get update` once, then `apt-get install -y` of the whole list, as
 * root or through `sudo -n`. Quick and silent apart from one line when everything is there.
 */
import { spawnSync } from 'node:child_process';
import { MissingPeerError } from './errors.js';
import { TEST_COMMANDS, TEST_PYTHON_MODULES, aptInstallCommand, checkPython, debianPackages, findExecutable } from './peers.js';

/** How apt-get can be run here: directly (root), through `sudo -n`, or not at all. */
function privilege(): string[] | null {
  if (process.getuid?.() === 0) return [];
  if (findExecutable('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) return ['sudo', '-n'];
  return null;
}

function run(argv: string[]): void {
  const [command, ...args] = argv as [string, ...string[]];
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new Error(`\`${argv.join(' ')}\` failed (${result.error?.message ?? `exit ${String(result.status ?? result.signal)}`})`);
}

/**
 * Makes sure `/usr/bin/python3` imports every module the tests use, installing the Debian packages
 * when some are missing. `log` gets one line per step.
 * @throws MissingPeerError with the `apt-get` command when not root and `sudo -n` is not available.
 * @throws Error when apt-get fails or the modules are still missing afterwards.
 */
export function installTestPeers(log: (line: string) => void = console.log): void {
  const before = checkPython(TEST_PYTHON_MODULES);
  const commands = missingCommands();
  if (before.missing.length === 0 && before.reason === '' && commands.length === 0) {
    log(`test peers: ${before.python} imports ${TEST_PYTHON_MODULES.join(', ')}; ${Object.keys(TEST_COMMANDS).join(', ')} on PATH`);
    return;
  }
  const packages = [...debianPackages(TEST_PYTHON_MODULES), ...new Set(commands.map((c) => TEST_COMMANDS[c]!))];
  const command = aptInstallCommand(packages);
  const prefix = privilege();
  if (prefix === null) {
    throw new MissingPeerError(`test peers: ${before.python} cannot import ${before.missing.join(', ') || 'anything'} and this user cannot run apt-get. Run as root:\n  ${command}`, command);
  }
  log(`test peers: installing ${packages.join(' ')} (missing: ${[...before.missing, ...commands].join(', ') || before.reason})`);
  run([...prefix, 'apt-get', 'update']);
  run([...prefix, 'apt-get', 'install', '-y', ...packages]);
  const after = checkPython(TEST_PYTHON_MODULES);
  if (after.missing.length > 0 || after.reason !== '' || missingCommands().length > 0) {
    throw new MissingPeerError(`test peers: still missing after apt-get: ${[...after.missing, ...missingCommands()].join(', ')} (${after.reason})`, command);
  }
  log('test peers: installed');
}

/** The server programs of `TEST_COMMANDS` not found on PATH. */
function missingCommands(): string[] {
  return Object.keys(TEST_COMMANDS).filter((command) => findExecutable(command) === null);
}

import { describe, expect, it } from 'vitest';
import { MissingPeerError } from './errors.js';
import { PYTHON, requireCommand, requirePython } from './peers.js';

function thrown(fn: () => unknown): MissingPeerError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MissingPeerError) return err;
    throw err;
  }
  throw new Error('expected a MissingPeerError');
}

describe('requirePython', () => {
  it('returns Debian\'s interpreter when it imports the modules', () => {
    expect(requirePython(['celery', 'kombu', 'redis'])).toBe(PYTHON);
  });

  it('fails with the apt-get command of the modules when the interpreter is missing', () => {
    const err = thrown(() => requirePython(['celery', 'redis'], { python: '/nonexistent/python3' }));
    expect(err.code).toBe('CQ_TEST_PEER_MISSING');
    expect(err.installCommand).toBe('apt-get update && apt-get install -y python3-celery python3-redis');
    expect(err.message).toContain('/nonexistent/python3 cannot import celery, redis');
    expect(err.message).toContain('`apt-get update && apt-get install -y python3-celery python3-redis`');
    expect(err.message).toContain('ENOENT');
  });

  it('names only the packages of the modules that fail to import', () => {
    // An interpreter that runs but imports nothing.
    const err = thrown(() => requirePython(['msgpack'], { python: '/bin/false' }));
    expect(err.installCommand).toBe('apt-get update && apt-get install -y python3-msgpack');
  });

  it('asks for python3 itself when no module is named and the interpreter is missing', () => {
    expect(thrown(() => requirePython([], { python: '/nonexistent/python3' })).installCommand).toBe('apt-get update && apt-get install -y python3');
  });
});

describe('requireCommand', () => {
  it('returns the path of a program on PATH', () => {
    expect(requireCommand('sh', 'dash')).toMatch(/\/sh$/);
  });

  it('fails with the apt-get command of its package when it is missing', () => {
    const err = thrown(() => requireCommand('cq-no-such-server', 'redis-server'));
    expect(err.message).toBe('`cq-no-such-server` is missing: install it as root with `apt-get update && apt-get install -y redis-server`.');
    expect(err.installCommand).toBe('apt-get update && apt-get install -y redis-server');
  });
});

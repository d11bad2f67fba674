import { describe, expect, it } from 'vitest';
import { BackendConfigurationError } from '@cq/backend';
import { DEFAULT_DATABASE, databasePath } from './url.js';

describe('databasePath', () => {
  const cwd = '/srv/app';
  it('reads three slashes as relative and four as absolute (SQLAlchemy)', () => {
    expect(databasePath('sqlite:///results/r.db', cwd)).toBe('/srv/app/results/r.db');
    expect(databasePath('sqlite:////var/lib/cq/r.db', cwd)).toBe('/var/lib/cq/r.db');
    expect(databasePath('db+sqlite:///r.db', cwd)).toBe('/srv/app/r.db');
    expect(databasePath('DB+SQLITE:////tmp/r.db', cwd)).toBe('/tmp/r.db');
  });
  it('ignores a query string and decodes escapes', () => {
    expect(databasePath('sqlite:///r.db?check_same_thread=False', cwd)).toBe('/srv/app/r.db');
    expect(databasePath('sqlite:///my%20results.db', cwd)).toBe('/srv/app/my results.db');
  });
  it('uses the default file for sqlite:// and memory for :memory:', () => {
    expect(databasePath('sqlite://', cwd)).toBe(`/srv/app/${DEFAULT_DATABASE}`);
    expect(databasePath('sqlite://:memory:', cwd)).toBe(':memory:');
    expect(databasePath('sqlite:///:memory:', cwd)).toBe(':memory:');
  });
  it('refuses a host and other schemes, naming the fix', () => {
    expect(() => databasePath('sqlite://results.db', cwd)).toThrow(/did you mean sqlite:\/\/\/results.db/);
    expect(() => databasePath('redis://localhost', cwd)).toThrow(BackendConfigurationError);
  });
});

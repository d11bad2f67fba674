import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseUrl } from '@cq/kombu';
import { databasePath } from './path.js';

describe('databasePath', () => {
  const path = (url: string) => databasePath(parseUrl(url), '/srv/app');

  it('resolves relative paths from the working directory and keeps absolute ones', () => {
    expect(path('sqlite:///data/broker.db')).toBe('/srv/app/data/broker.db');
    expect(path('sqlite:////var/lib/cq/broker.db')).toBe('/var/lib/cq/broker.db');
    expect(path('sqla+sqlite:///x.db')).toBe('/srv/app/x.db');
  });

  it('uses .cq/broker.db when the URL has no path', () => {
    expect(path('sqlite://')).toBe('/srv/app/.cq/broker.db');
    expect(path('sqlite:///')).toBe('/srv/app/.cq/broker.db');
  });

  it('rejects a host and in-memory databases, naming the fix', () => {
    expect(() => path('sqlite://broker.db')).toThrow(ConfigurationError);
    expect(() => path('sqlite://broker.db')).toThrow(/did you mean sqlite:\/\/\/broker\.db\?/);
    expect(() => path('sqlite:///:memory:')).toThrow(/memory:\/\//);
  });
});

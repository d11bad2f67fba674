import { describe, expect, it } from 'vitest';
import { CouchDBUrlError } from './errors.js';
import { parseCouchdbUrl, redactCouchdbUrl } from './url.js';

describe('couchdb:// URLs, as Celery CouchBackend reads them', () => {
  it('takes Celery’s defaults for what the URL leaves out: http, localhost, 5984, container "default", no credentials', () => {
    expect(parseCouchdbUrl('couchdb://')).toEqual({ scheme: 'http', host: 'localhost', port: 5984, container: 'default', username: null, password: null });
    expect(parseCouchdbUrl('couchdb://db.example:6984')).toMatchObject({ host: 'db.example', port: 6984, container: 'default' });
  });

  it('reads user, password (percent-decoded), host, port and the container without its slashes', () => {
    expect(parseCouchdbUrl('couchdb://admin:p%40ss%3Aw@10.0.0.5:5985//results/')).toEqual({
      scheme: 'http', host: '10.0.0.5', port: 5985, container: 'results', username: 'admin', password: 'p@ss:w',
    });
    expect(parseCouchdbUrl('couchdb://[::1]:5984/r')).toMatchObject({ host: '::1', container: 'r' });
  });

  it('refuses other schemes and broken URLs without showing the password', () => {
    for (const url of ['redis://u:hunter2@h/0', 'couchdb://u:hunter2@h:notaport/x']) {
      const err = (() => { try { return parseCouchdbUrl(url); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(CouchDBUrlError);
      expect((err as CouchDBUrlError).code).toBe('CQ_BACKEND_COUCHDB_URL');
      expect((err as Error).message).toContain('u:**@h');
      expect((err as Error).message).not.toContain('hunter2');
      expect((err as Error).cause).toBeUndefined();
    }
    expect(redactCouchdbUrl('couchdb://admin:secret@localhost:5984/r')).toBe('couchdb://admin:**@localhost:5984/r');
  });
});

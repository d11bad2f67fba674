/**
 * @cq/backend-couchdb — Celery's CouchDB result backend for cq (`couchdb://`): one document per
 * result, `{_id: <key>, value: <encoded meta>}` as Python Celery writes it, over Node's fetch.
 * Pass `couchdbBackend()` in the app's plugins; the default export is the backend class.
 */
import { CouchDBBackend } from './couchdb-backend.js';

export default CouchDBBackend;
export { CouchDBBackend, type CouchDBBackendOptions } from './couchdb-backend.js';
export { COUCHDB_DEFAULTS, parseCouchdbUrl, redactCouchdbUrl, type CouchDBUrl } from './url.js';
export { couchdbBackend } from './plugin.js';
export { CouchDBRequestError, CouchDBUrlError } from './errors.js';

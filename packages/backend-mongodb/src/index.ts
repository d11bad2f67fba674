/**
 * @cq/backend-mongodb — the MongoDB result backend for cq: Celery's MongoBackend documents
 * (`celery_taskmeta`, `celery_groupmeta`), shared with Python Celery. Pass `mongodbBackend()` in the
 * app's plugins for `mongodb://` and `mongodb+srv://` result backend URLs.
 */
import { MongoBackend } from './mongodb-backend.js';

export default MongoBackend;
export { MongoBackend, type MongoBackendOptions } from './mongodb-backend.js';
export { mongodbBackend } from './plugin.js';
export { resolveBackendSettings, MONGODB_BACKEND_SCHEMES, type MongoBackendSettings, type ResolvedMongoBackend } from './settings.js';
export {
  taskDocument, metaFromDocument, groupDocument, groupTuple, groupChildIds, storedValue, readStoredValue, type TaskDocument, type GroupDocument,
} from './documents.js';
export { toBson, fromBson } from './bson-values.js';
export { MongoBackendSettingsError, MongoBackendEncodeError } from './errors.js';

/**
 * @cq/backend-filesystem — Celery's file-system result backend for cq (`file:///path`): one file
 * per result in a directory, in the layout and format Python Celery reads and writes. Pass
 * `filesystemBackend()` in the app's plugins; the default export is the backend class.
 */
import { FilesystemBackend } from './filesystem-backend.js';

export default FilesystemBackend;
export { FilesystemBackend, type FilesystemBackendOptions } from './filesystem-backend.js';
export { filesystemBackend } from './plugin.js';
export { FILESYSTEM_SCHEMES, parseFilesystemUrl } from './url.js';
export { FilesystemUrlError, FilesystemPathError, UnsafeKeyError } from './errors.js';

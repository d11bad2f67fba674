/**
 * File-system result backend URLs, as Celery's `FilesystemBackend._find_path` reads them:
 * `file:///absolute/path` or `file://localhost/absolute/path`. The path is taken as written (no
 * percent-decoding, as in Celery). Celery also takes `file://relative/path` (relative to the
 * working directory); cq refuses it, so two processes started in different directories cannot
 * silently use two different stores.
 */
import path from 'node:path';
import { FilesystemUrlError } from './errors.js';

/** The URL schemes (before `://`) this package serves. */
export const FILESYSTEM_SCHEMES = ['file'] as const;

const FORM = 'file:///absolute/path/to/dir';

/**
 * The directory of a `file://` result backend URL, normalized, without a trailing slash. Pure.
 * @throws FilesystemUrlError for another scheme, an empty or a relative path.
 */
export function parseFilesystemUrl(url: string): string {
  const lower = url.toLowerCase();
  let dir: string;
  if (lower.startsWith('file://localhost/')) dir = url.slice('file://localhost'.length);
  else if (lower.startsWith('file://')) dir = url.slice('file://'.length);
  else throw new FilesystemUrlError(`not a file-system result backend URL: ${JSON.stringify(url)}; use ${FORM}`);
  if (!path.isAbsolute(dir)) {
    throw new FilesystemUrlError(`the file-system result backend needs an absolute path, got ${JSON.stringify(url)}: use ${FORM} (three slashes)`);
  }
  const normalized = path.normalize(dir);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

import { describe, expect, it } from 'vitest';
import { FilesystemUrlError } from './errors.js';
import { parseFilesystemUrl } from './url.js';

describe('file-system URLs (Celery FilesystemBackend._find_path)', () => {
  it('reads file:///abs and file://localhost/abs, as written', () => {
    expect(parseFilesystemUrl('file:///var/lib/results')).toBe('/var/lib/results');
    expect(parseFilesystemUrl('file:///var/lib/results/')).toBe('/var/lib/results');
    expect(parseFilesystemUrl('file://localhost/srv/r%20x')).toBe('/srv/r%20x');
    expect(parseFilesystemUrl('file:///')).toBe('/');
  });

  it('refuses relative paths and other schemes, naming the form', () => {
    for (const url of ['file://results', 'file://./results', 'file://', 'files:///x', '/var/lib/results']) {
      expect(() => parseFilesystemUrl(url), url).toThrow(FilesystemUrlError);
    }
    expect(() => parseFilesystemUrl('file://results')).toThrow(/file:\/\/\/absolute/);
  });
});

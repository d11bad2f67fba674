/**
 * A small real cq app: word statistics and content hashes over the files of a directory.
 * Run a worker for it with `pnpm cq worker -A examples/wordcount/tasks.ts`.
 *
 * With no broker configured it uses the embedded SQLite broker and result backend under ./.cq/.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Celery } from '@cq/celery';

export const app = new Celery('wordcount', {
  result_expires: 3600,
});

export interface FileStats {
  file: string;
  bytes: number;
  lines: number;
  words: number;
  /** The five most frequent words (lower-cased, at least 3 letters), most frequent first. */
  top: Array<[string, number]>;
}

/** Counts lines and words of a text file and finds its most frequent words. */
export const countWords = app.task('wordcount.count_words', async (path: string): Promise<FileStats> => {
  const text = await readFile(path, 'utf8');
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  const freq = new Map<string, number>();
  for (const w of words) {
    if (w.length < 3 || /^\d+$/.test(w)) continue;
    const k = w.toLowerCase();
    freq.set(k, (freq.get(k) ?? 0) + 1);
  }
  const top = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
  const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return { file: path, bytes: Buffer.byteLength(text), lines, words: words.length, top };
});

/** Hex digest of a file's content (`sha256` by default; any algorithm node:crypto knows). */
export const hashFile = app.task('wordcount.hash_file', async (path: string, algorithm = 'sha256'): Promise<string> => {
  const data = await readFile(path);
  return createHash(algorithm).update(data).digest('hex');
});

/** Sums per-file statistics into one total (a task that takes what others returned). */
export const totals = app.task('wordcount.totals', (stats: FileStats[]) => {
  const merged = new Map<string, number>();
  for (const s of stats) for (const [w, n] of s.top) merged.set(w, (merged.get(w) ?? 0) + n);
  return {
    files: stats.length,
    lines: stats.reduce((n, s) => n + s.lines, 0),
    words: stats.reduce((n, s) => n + s.words, 0),
    top: [...merged.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
  };
});

/** Size of a file in bytes; fails with ENOENT for a missing one (used to show failures). */
export const fileSize = app.task('wordcount.file_size', async (path: string) => (await stat(path)).size);

export default app;

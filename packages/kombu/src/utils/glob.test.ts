import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fnmatch } from './fnmatch.js';
import { globFiles } from './glob.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-glob-'));
for (const f of ['a.pem', 'b.pem', 'c.crt', '.hidden.pem', 'sub/d.pem', 'sub/e[1].pem']) {
  mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
  writeFileSync(path.join(dir, f), '');
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fnmatch and globFiles (Python fnmatch / glob.glob)', () => {
  it('matches *, ?, [seq], [!seq], and a lone [ literally', () => {
    expect(fnmatch('celery@*.example').test('celery@w1.example')).toBe(true);
    expect(fnmatch('w?').test('w12')).toBe(false);
    expect(fnmatch('w[12]').test('w2')).toBe(true);
    expect(fnmatch('w[!12]').test('w2')).toBe(false);
    expect(fnmatch('a[b').test('a[b')).toBe(true);
    expect(fnmatch('a.b').test('axb')).toBe(false);
  });

  it('lists matching files sorted, skips hidden names unless the pattern starts with a dot', () => {
    const rel = (files: string[]) => files.map((f) => path.relative(dir, f));
    expect(rel(globFiles(path.join(dir, '*.pem')))).toEqual(['a.pem', 'b.pem']);
    expect(rel(globFiles(path.join(dir, '.*.pem')))).toEqual(['.hidden.pem']);
    expect(rel(globFiles(path.join(dir, '*', '*.pem')))).toEqual(['sub/d.pem', 'sub/e[1].pem']);
    expect(rel(globFiles(dir))).toEqual(['a.pem', 'b.pem', 'c.crt']); // a directory: its files (not sub/)
    expect(rel(globFiles(path.join(dir, 'b.pem')))).toEqual(['b.pem']);
    expect(globFiles(path.join(dir, 'none-*.pem'))).toEqual([]);
  });
});

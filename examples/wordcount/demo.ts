/**
 * The main job, end to end on the embedded default: starts a cq worker process on the SQLite
 * broker, sends one `count_words` and one `hash_file` task per source file of this repository,
 * waits for every result, prints them with a throughput line, then stops the worker (SIGTERM,
 * warm shutdown). Usage: `pnpm demo [directory]` (default: the repository's packages/).
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, countWords, hashFile, totals, type FileStats } from './tasks.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (/\.(ts|md)$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

function startWorker(): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', path.join(root, 'apps/cli/src/bin.ts'),
    'worker', '-A', path.join(here, 'tasks.ts'), '-P', 'async', '-c', '50', '-l', 'warning', '-n', 'demo@%h'], {
    cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let banner = '';
    child.stdout.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      if (banner.includes('[tasks]')) {
        process.stdout.write(banner.replace(/\n+$/, '\n') + '\n');
        setTimeout(() => resolve(child), 100);
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with code ${code}`)));
  });
}

const dir = path.resolve(process.argv[2] ?? path.join(root, 'packages'));
const files = await listFiles(dir);
if (files.length === 0) throw new Error(`no .ts or .md files under ${dir}`);
console.log(`broker:  ${app.broker.url}${app.broker.embedded ? ' (embedded default)' : ''}`);
console.log(`results: ${app.resultBackendUrl}`);
const worker = await startWorker();
try {
  const t0 = performance.now();
  const counted = await Promise.all(files.map((f) => countWords.delay(f)));
  const hashed = await Promise.all(files.map((f) => hashFile.delay(f, 'sha256')));
  const sent = performance.now();
  const stats: FileStats[] = await Promise.all(counted.map((r) => r.get({ timeout: 120 })));
  const digests: string[] = await Promise.all(hashed.map((r) => r.get({ timeout: 120 })));
  const done = performance.now();
  const rel = (f: string) => path.relative(root, f);
  const shown = stats.slice(0, 12);
  console.log(`\n${'file'.padEnd(52)} ${'lines'.padStart(6)} ${'words'.padStart(7)}  sha256        top words`);
  shown.forEach((s, i) => {
    console.log(`${rel(s.file).padEnd(52)} ${String(s.lines).padStart(6)} ${String(s.words).padStart(7)}  ${digests[i]!.slice(0, 12)}  ${s.top.slice(0, 3).map(([w, n]) => `${w}(${n})`).join(' ')}`);
  });
  if (stats.length > shown.length) console.log(`... and ${stats.length - shown.length} more files`);
  const summary = await (await totals.delay(stats)).get({ timeout: 60 });
  console.log(`\ntotal: ${summary.files} files, ${summary.lines} lines, ${summary.words} words`);
  console.log(`most frequent words: ${summary.top.map(([w, n]) => `${w}(${n})`).join(', ')}`);
  const tasks = files.length * 2;
  console.log(`\n${tasks} tasks sent in ${((sent - t0) / 1000).toFixed(2)} s, all results in ${((done - t0) / 1000).toFixed(2)} s: ${Math.round(tasks / ((done - t0) / 1000))} tasks/s round trip on ${app.broker.url}`);
} finally {
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  await app.close();
}
console.log('worker stopped (warm shutdown)');

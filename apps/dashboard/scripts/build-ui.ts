/**
 * Builds the dashboard UI (ui/, React) with Vite into `dist/ui` (or `outDir`), which the server
 * serves: `corepack pnpm --filter @cq/dashboard build:ui`. The tests call {@link buildUi} first.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the UI into `outDir` (default `<package>/dist/ui`); resolves with that directory. */
export async function buildUi(outDir: string = path.join(root, 'dist/ui')): Promise<string> {
  await build({
    root: path.join(root, 'ui'),
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  });
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildUi();
  process.stdout.write(`dashboard UI built in ${path.relative(process.cwd(), out) || out}\n`);
}

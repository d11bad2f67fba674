/** Shared test helpers: pools that afterEach terminates, and polling with generous bounds. */

import { Pool } from '@cq/billiard';
import type { PoolKind, PoolOptions } from '@cq/billiard';

export const KINDS: PoolKind[] = ['prefork', 'threads'];
export const ENTRY = new URL('./fixtures/entry.ts', import.meta.url);

const pools: Pool[] = [];

/** A started pool on the TypeScript fixture entry; `terminateAll()` kills it. */
export async function startPool(kind: PoolKind, options: Partial<PoolOptions> = {}): Promise<Pool> {
  const pool = new Pool({ kind, size: 2, entry: ENTRY, initArgs: { tag: 'test' }, ...options });
  pools.push(pool);
  await pool.start();
  return pool;
}

export async function terminateAll(): Promise<void> {
  await Promise.all(pools.splice(0).map((p) => p.terminate()));
}

/** Polls `check` every 20 ms until it is true; throws after `ms`. */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

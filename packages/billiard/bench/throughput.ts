/**
 * Trivial jobs through a pool; prints jobs/s. Usage, from packages/billiard:
 *   node --conditions=@cq/source --import tsx bench/throughput.ts [prefork|threads] [children=2] [jobs=200000]
 */
import { Pool } from '@cq/billiard';
import type { PoolKind } from '@cq/billiard';

const kind = (process.argv[2] ?? 'prefork') as PoolKind;
const size = Number(process.argv[3] ?? 2);
const jobs = Number(process.argv[4] ?? 200_000);

const pool = new Pool({ kind, size, entry: new URL('./entry.ts', import.meta.url) });
await pool.start();
await Promise.all(Array.from({ length: 1_000 }, (_, i) => pool.apply(i))); // warm up

const started = performance.now();
const results = await Promise.all(Array.from({ length: jobs }, (_, i) => pool.apply<number>(i)));
const seconds = (performance.now() - started) / 1000;
if (results[jobs - 1] !== jobs) throw new Error('wrong result');
console.log(`${kind} x${size}: ${jobs} jobs in ${seconds.toFixed(2)} s = ${Math.round(jobs / seconds)} jobs/s`);
await pool.close();

/**
 * Canvas on the embedded default: a chain, a group, a chord, and a chain that turns a group into a
 * chord. Prints the four results as JSON; timeouts are in seconds.
 */
import { chain, chord, group, signature } from '@cq/celery';
import { add, app, mul, tsum } from './tasks.js';

// (2 + 3) * 10: each link's result is the first argument of the next.
const chained = await chain(signature(add, [2, 3]), signature(mul, [10])).applyAsync();
// Ten additions in parallel.
const grouped = await group(...Array.from({ length: 10 }, (_, i) => signature(add, [i, i]))).applyAsync();
// The same ten, then their sum once all are done.
const chorded = await chord(Array.from({ length: 10 }, (_, i) => signature(add, [i, i])), signature(tsum)).applyAsync();
// 1 + 1 → [2 + 1, 2 + 10] → 15 → 30: a group followed by a task in a chain is a chord, as in Celery.
const mixed = await chain(signature(add, [1, 1]), group(signature(add, [1]), signature(add, [10])), signature(tsum), signature(mul, [2])).applyAsync();

console.log(JSON.stringify({
  chain: await chained.get({ timeout: 30 }),
  group: await grouped.get({ timeout: 30 }),
  chord: await chorded.get({ timeout: 30 }),
  mixed: await mixed.get({ timeout: 30 }),
}));
await app.close();

/**
 * Sends two tasks to the minimal worker and prints their results, then closes the app's connections
 * (a client process ends only once they are closed).
 */
import { add, app, words } from './tasks.js';

const sum = await add.delay(2, 3);
const stats = await words.delay('the quick brown fox jumps over the lazy dog');
console.log(JSON.stringify({ sum: await sum.get({ timeout: 10 }), words: await stats.get({ timeout: 10 }) })); // timeouts in seconds
await app.close();

/**
 * Sends `custom.whoami` and `custom.nap` to the custom worker and prints the results as JSON.
 * `NAP_MS` (default 200) is how long the nap task sleeps.
 */
import { app, nap, whoami } from './tasks.js';

const who = await whoami.delay();
const napped = await nap.delay(Number(process.env.NAP_MS ?? 200));
console.log(JSON.stringify({ whoami: await who.get({ timeout: 30 }), nap: await napped.get({ timeout: 30 }) }));
await app.close();

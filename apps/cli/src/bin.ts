#!/usr/bin/env node
import { main } from './main.js';

const args = process.argv.slice(2);
const code = await main(args);
// The worker keeps running on its own; every other command ends here.
if (code !== 0 || args[0] !== 'worker') process.exit(code);

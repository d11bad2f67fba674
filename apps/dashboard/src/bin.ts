/** The `cq-dashboard` entry point (see cli.ts). */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));

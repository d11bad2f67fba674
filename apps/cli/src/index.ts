/** @cq/cli — the `cq` command line, usable programmatically through `main(argv)`. */
export { main, program } from './main.js';
export { loadApp } from './load-app.js';
export { CliError } from './errors.js';

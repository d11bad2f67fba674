#!/bin/sh
":" //; case " $NODE_OPTIONS " in *" --max-semi-space-size"*) exec node "$0" "$@" ;; esac; exec node --max-semi-space-size=2 "$0" "$@"
// The installed `cq` command: runs the built CLI. The line above is for the shell that the first line
// names (to Node it is a string and a comment): it replaces itself with `node --max-semi-space-size=2`
// on this file — no process stays in between — unless NODE_OPTIONS chooses a semi-space size. 2 MB
// young-generation halves (Node's default grows them to 16 MB) keep a worker's memory flat under load:
// see the @cq/cli README, "Memory". Run through `node` directly, this file simply runs the CLI.
import '../dist/bin.js';

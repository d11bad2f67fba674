#!/usr/bin/env node
// Installed entry point: runs the built CLI.
import '../dist/bin.js';

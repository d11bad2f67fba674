#!/usr/bin/env node
// Installed entry point: runs the built command.
import '../dist/bin.js';

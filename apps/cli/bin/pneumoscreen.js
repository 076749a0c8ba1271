#!/usr/bin/env node
// Committed shim so `npx pneumoscreen` works as soon as `npm ci` has built the workspace.
require('../dist/main.js');

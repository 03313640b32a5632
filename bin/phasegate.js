#!/usr/bin/env node
'use strict';
// In a development checkout run the TypeScript sources (never a stale build); in an installed or
// production copy, where tsx is absent, run the compiled output of `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'src', 'cli', 'main.ts');
let useSource = existsSync(source);
if (useSource) {
  try {
    require.resolve('tsx/cjs');
  } catch {
    useSource = false;
  }
}
if (useSource) {
  require('tsx/cjs');
  require(source).main();
} else {
  require(join(__dirname, '..', 'dist', 'src', 'cli', 'main.js')).main();
}

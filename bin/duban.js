#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx duban …` needs no build step.
require('tsx/cjs/api').register();
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });

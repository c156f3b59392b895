#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx duban …` needs no build step.
require('tsx/cjs/api').register();
const argv = process.argv.slice(2);
// Help is answered before the commands and the Temporal SDK load (cli/help.ts).
const help = require('../cli/help.ts').helpFor(argv);
if (help !== undefined) {
  process.stdout.write(help);
  process.exit(0);
}
require('../cli/main.ts')
  .main(argv)
  .then((code) => {
    // Exit once the command is done: the SDK's native runtime, with its core logs forwarded, would otherwise
    // keep a command that failed before starting a worker alive. Standard output and error are pipes, files
    // or terminals, which Node writes synchronously on Linux, so nothing printed is lost.
    process.exit(code);
  });

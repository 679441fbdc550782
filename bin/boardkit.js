#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli (built by `npm run build`, run by `npm ci` through `prepare`).
import('../dist/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  process.stderr.write(`boardkit: cannot start: ${err && err.message ? err.message : err}\nRun \`npm ci\` (or \`npm run build\`) in the boardkit checkout first.\n`);
  process.exit(70);
});

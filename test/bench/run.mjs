#!/usr/bin/env node
// `npm run bench`: runs every benchmark script in this folder, one after the other (never in
// parallel: they time things on a 2-core machine), each printing its own medians and its ratio
// against the peer tool it is measured beside. Pass names to run only some: `npm run bench -- tftp`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const script of scripts) {
  process.stdout.write(`\n=== ${script}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, script)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`=== ${script} failed (exit ${r.status ?? r.signal})\n`);
  }
}
process.stdout.write(`\n${scripts.length - failed} benchmark(s) ran, ${failed} failed\n`);
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
/**
 * Builds the native pieces of src/transports/node/native/ (N-API addons in C) into build/native/.
 * Run by `npm run build` (so by `npm ci` through `prepare`, and by `npm test`).
 *
 * Compiled with the host C compiler against the headers of the running Node.js
 * (<prefix>/include/node, which Debian's nodejs and the official tarballs both ship); no node-gyp,
 * no download. Skips a target whose output is newer than its source. When no compiler or headers
 * are there, it says so and exits 0: boardkit then runs the pure TypeScript paths, and
 * `boardkit doctor` reports the missing addon.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'native');
const include = process.env.BOARDKIT_NODE_INCLUDE ?? join(dirname(process.execPath), '..', 'include', 'node');
/** The first C compiler on PATH: $CC, else cc, gcc, clang. */
function findCompiler() {
  const candidates = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
  return candidates.find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
}
const cc = findCompiler();
const targets = [{ name: 'tftp_pump', source: 'src/transports/node/native/tftp_pump.c' }];

if (!existsSync(join(include, 'node_api.h'))) {
  console.warn(`build-native: no Node.js headers at ${include} (set BOARDKIT_NODE_INCLUDE); native addons skipped`);
  process.exit(0);
}
if (!cc) {
  console.warn('build-native: no C compiler (cc, gcc or clang; or set CC); native addons skipped');
  process.exit(0);
}
mkdirSync(out, { recursive: true });
for (const t of targets) {
  const src = join(root, t.source);
  const dst = join(out, `${t.name}.node`);
  if (existsSync(dst) && statSync(dst).mtimeMs >= statSync(src).mtimeMs) continue;
  const tmp = `${dst}.${process.pid}.tmp`;
  const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden', `-I${include}`, `-DNODE_GYP_MODULE_NAME=${t.name}`, '-o', tmp, src, '-lpthread'];
  const r = spawnSync(cc, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.warn(`build-native: ${cc} failed for ${t.source}${r.error ? ` (${r.error.message})` : ''}; native addon ${t.name} skipped`);
    continue;
  }
  renameSync(tmp, dst); // never a half-written addon under the final name
}

#!/usr/bin/env node
// Boot-to-`result=` per emulated board for the reference payload with its full driver set, through
// runPayload (QEMU paused, pty console, oracles), beside the peer: the same QEMU command line run
// plainly with `-serial stdio`, timed to the same `BOARDKIT result=` line (no oracles, no patching).
// Medians of RUNS; prints boardkit ms, plain ms and the ratio per board.
// Env: BENCH_REPS (3); BENCH_SMOKE=1 (the smoke run in `npm test`): one board, one run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBoards } from '../../dist/boards/loader.js';
import { defaultCacheDir } from '../../dist/core/cache-dir.js';
import { buildBoardPayload } from '../../dist/workflows/payload-build.js';
import { runPayload } from '../../dist/workflows/payload-run.js';
import { machineFromProfile } from '../../dist/emulator/profile-machine.js';
import { buildQemuArgs } from '../../dist/emulator/qemu-args.js';
import { resolveArtifact } from '../../dist/artifacts/resolve-artifact.js';
import { newNonce, patchConfigBlock } from '../../dist/payload/config-block.js';
import { NodeSpawner } from '../../dist/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../dist/transports/node/qmp-socket.js';
import { openNodeSerialLink } from '../../dist/transports/node/open-serial-link.js';
import { openQemuDgramFrameLink } from '../../dist/transports/node/qemu-dgram-frame-link.js';
import { readFileSync } from 'node:fs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SMOKE = process.env.BENCH_SMOKE === '1';
const RUNS = Number(process.env.BENCH_REPS ?? (SMOKE ? 1 : 3));
const BOARDS = SMOKE ? ['qemu-riscv64-virt'] : ['qemu-riscv64-virt', 'qemu-aarch64-virt', 'rpi3b', 'hifive-unleashed', 'x86-kiosk'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spawner = new NodeSpawner();
const cacheDir = defaultCacheDir();
const manifestDir = join(ROOT, 'firmware-manifests');
const env = { spawner, connectQmp: connectQmpSocket, openLink: openNodeSerialLink, openQemuFrameLink: () => openQemuDgramFrameLink(), cacheDir, manifestDir };
const registry = await loadBoards([join(ROOT, 'boards')]);
const work = mkdtempSync(join(tmpdir(), 'bk-bench-boot-'));

/** The plain peer: QEMU with the profile's machine (uart only), serial on stdio, until result=. */
async function plain(board, out) {
  const profile = registry.get(board).profile;
  const json = JSON.parse(readFileSync(join(out, 'payload.json'), 'utf8'));
  const f = json.files.efi ?? (profile.bootProtocol === 'rpi-firmware' ? json.files.bin : json.files.elf);
  const patched = join(work, `plain-${f.name}`);
  writeFileSync(patched, patchConfigBlock(readFileSync(join(out, f.name)), { nonce: newNonce() }));
  let fatDir;
  if (json.files.efi) {
    fatDir = join(work, 'esp');
    mkdirSync(join(fatDir, 'EFI', 'BOOT'), { recursive: true });
    writeFileSync(join(fatDir, 'EFI', 'BOOT', 'BOOTX64.EFI'), readFileSync(patched));
  }
  const paths = {};
  for (const id of ['opensbi-fw-jump', 'ovmf-code-4m', 'ovmf-vars-4m']) paths[id] = await resolveArtifact(id, { cacheDir, manifestDir });
  const varsCopy = join(work, 'vars.fd');
  writeFileSync(varsCopy, readFileSync(paths['ovmf-vars-4m']));
  const spec = machineFromProfile(profile, { mode: 'kernel', artifactPath: (id) => (id === 'ovmf-vars-4m' ? varsCopy : paths[id]), ...(fatDir ? { fatDir } : { payload: patched }) });
  spec.drives = (spec.drives ?? []).map((d) => ({ ...d, writableCopy: false }));
  const args = buildQemuArgs({ ...spec, serial: spec.serial.map(() => 'null') }, { accel: 'tcg', paused: false, consoles: [] });
  const serialIdx = spec.serial.indexOf('console');
  // Replace the console slot by stdio (the plain way).
  let n = -1;
  const final = args.map((a, i) => (args[i - 1] === '-serial' && ++n === serialIdx ? 'stdio' : a));
  const t0 = performance.now();
  const child = spawn(profile.emulation.qemu.binary, final, { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  await new Promise((res, rej) => {
    child.stdout.on('data', (b) => { text += b; if (/BOARDKIT result=/.test(text)) res(); });
    child.on('exit', () => rej(new Error(`${board}: plain QEMU exited before result=`)));
  });
  const ms = performance.now() - t0;
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return ms;
}

console.log(`medians of ${RUNS}: console = boardkit's own boot-to-result (from CPU start), run = boardkit's whole run (QEMU start, oracles, shutdown),`);
console.log('plain = the same machine run plainly with -serial stdio, process start to the result line\n');
console.log('board                console-ms  run-ms  plain-ms  run/plain');
for (const board of BOARDS) {
  const out = join(work, board);
  await buildBoardPayload(registry, { board, outDir: out }, { spawner });
  const ours = [], whole = [], peer = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await runPayload(registry, { board, kernel: out }, env);
    if (!r.ok) throw new Error(`${board}: run failed: ${r.oracles.filter((o) => !o.ok).map((o) => o.detail).join('; ') || r.boot.failure?.message}`);
    whole.push(performance.now() - t0);
    ours.push(r.boot.timeline.find((s) => s.stage === 'result').atMs);
    peer.push(await plain(board, out).catch(() => NaN));
  }
  const o = median(ours), w = median(whole), p = median(peer);
  console.log(`${board.padEnd(20)} ${o.toFixed(0).padStart(10)} ${w.toFixed(0).padStart(7)} ${Number.isNaN(p) ? '      n/a' : p.toFixed(0).padStart(9)}  ${Number.isNaN(p) ? '' : (w / p).toFixed(2) + 'x'}`);
}
rmSync(work, { recursive: true, force: true });

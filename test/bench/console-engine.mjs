#!/usr/bin/env node
// Console engine throughput: 50 MB of console text (CRLF, some ANSI colour) through a
// ConsoleSession over the fake link, with 30 bounded patterns live: 26 failure patterns checked on
// every arrival, 2 expected-item watchers, the report-line watcher pattern and a pending expect for
// the final marker. Prints MB/s per run and the median. Target: >= 50 MB/s.
// Beside it, the peer: GNU grep -P over the same text and patterns, in the same run.
// Usage: npm run build && node test/bench/console-engine.mjs [MB] [runs]
// BENCH_SMOKE=1 (the smoke run in `npm test`): 1 MB, 1 run, by default.
import { ConsoleSession } from '../../dist/console/console-session.js';
import { FakeSerialLink } from '../../dist/transports/fake/fake-serial-link.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const MB = Number(process.argv[2] ?? (SMOKE ? 1 : 50));
const RUNS = Number(process.argv[3] ?? (SMOKE ? 1 : 5));
const CHUNK = 64 * 1024;

const FAILURES = [
  'Kernel panic - not syncing', 'Oops[: ]', 'BUG: ', 'Unable to handle kernel', 'U-Boot SPL 20\\d\\d', 'BOARDKIT fault',
  'status=fail', 'Internal error', 'watchdog: BUG', 'rcu_sched self-detected', 'Call trace:', 'segfault at',
  'general protection fault', 'Synchronous Abort', 'data abort', 'prefetch abort', 'undefined instruction',
  'exception class', 'SError', 'ERROR: ', 'FATAL', 'stack-protector', 'Login incorrect', '\\S{1,64} login:',
  'Hit any key to stop autoboot:\\s{0,5}\\d{0,3}', 'ASSERT',
];
const WATCHES = ['BOARDKIT driver=gpio status=ok', 'BOARDKIT driver=uart status=ok', 'BOARDKIT(?=[ \\t]|$)'];
const FINAL = 'BOARDKIT result=pass';
if (FAILURES.length + WATCHES.length + 1 !== 30) throw new Error('the benchmark is defined with 30 patterns');

function consoleText(bytes) {
  const words = ['mmc0', 'usb', 'eth0:', 'clk', 'dma', 'irq', 'gpio', 'pinctrl', 'regulator', 'spi', 'i2c', 'sdhci', 'virtio', 'pci', 'acpi', 'login', 'panic_on_oops'];
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const lines = [];
  for (let i = 0; i < 4000; i++) {
    const n = 4 + Math.floor(rnd() * 10);
    let l = `[${(i / 100).toFixed(6)}] ` + Array.from({ length: n }, () => words[Math.floor(rnd() * words.length)] + (rnd() < 0.3 ? `@${Math.floor(rnd() * 1e6).toString(16)}` : '')).join(' ');
    if (i % 40 === 0) l = `\x1b[32m${l}\x1b[0m`;
    if (i % 500 === 0) l = `BOARDKIT driver=gpio status=ok detail=pl061@0x9030000`;
    lines.push(`${l}\r\n`);
  }
  const block = Buffer.from(lines.join(''));
  const out = Buffer.alloc(bytes);
  for (let off = 0; off < bytes; off += block.length) block.copy(out, off, 0, Math.min(block.length, bytes - off));
  const tail = Buffer.from(`\r\n${FINAL}\r\n`);
  tail.copy(out, bytes - tail.length);
  return out;
}

async function once(data) {
  const link = new FakeSerialLink('bench');
  const session = ConsoleSession.attach(link);
  let failures = 0;
  let hits = 0;
  session.failOn(FAILURES.map((p, i) => ({ name: `f${i}`, pattern: p })), { onFailure: () => failures++ });
  session.watch(WATCHES.map((p, i) => ({ name: `w${i}`, pattern: p })), () => hits++);
  const done = session.expect(FINAL);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let off = 0; off < data.length; off += CHUNK) link.feed(data.subarray(off, Math.min(off + CHUNK, data.length)));
  const m = await done;
  const dt = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (failures) throw new Error(`unexpected failure match: ${session.failure?.name}`);
  if (m.text !== FINAL || hits === 0) throw new Error('the engine missed the markers');
  await session.close();
  return { mbps: data.length / 1048576 / (dt / 1000), cpuMbps: data.length / 1048576 / (cpuMs / 1000), hits };
}

const data = consoleText(MB * 1048576);
const results = [];
const cpuResults = [];
for (let r = 0; r < RUNS; r++) {
  globalThis.gc?.();
  const { mbps, cpuMbps, hits } = await once(data);
  results.push(mbps);
  cpuResults.push(cpuMbps);
  console.log(`run ${r + 1}: ${mbps.toFixed(1)} MB/s wall, ${cpuMbps.toFixed(1)} MB/s per CPU-second (${hits} watcher hits)`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The peer, in the same run: GNU grep -P scanning the same bytes for the same 30 patterns (one
// alternation; grep -P takes a single pattern). It only counts matching lines: no ANSI stripping,
// no per-pattern attribution, no streaming; a floor for "just find the text".
const { spawnSync } = await import('node:child_process');
const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const dir = mkdtempSync(join(tmpdir(), 'bk-bench-console-'));
const file = join(dir, 'console.txt');
writeFileSync(file, data);
const alternation = [...FAILURES, ...WATCHES, FINAL].map((p) => `(?:${p})`).join('|');
const grepRuns = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const g = spawnSync('grep', ['-P', '-c', alternation, file], { encoding: 'utf8' });
  const dt = performance.now() - t0;
  if (g.status !== 0) throw new Error(`grep -P failed: ${g.stderr}`);
  grepRuns.push(data.length / 1048576 / (dt / 1000));
}
rmSync(dir, { recursive: true, force: true });
console.log(`peer: grep -P over the same ${MB} MB, 30 patterns: median ${median(grepRuns).toFixed(1)} MB/s; boardkit/grep ${(median(results) / median(grepRuns)).toFixed(2)}x`);
// Wall time is what the target is about; CPU time shows the engine's own cost on a loaded machine
// (GC threads count towards CPU time, so it can be lower than wall on an idle multi-core host).
console.log(`console-engine: ${MB} MB, 30 patterns, median ${median(results).toFixed(1)} MB/s (wall), ${median(cpuResults).toFixed(1)} MB/s per CPU-second, over ${RUNS} runs (target >= 50); load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);

/**
 * `boardkit hil run` end to end on emulated boards: the CI run files pass; a marker that never
 * appears is a failure (exit 1) carrying the console excerpt, a failing power command an error
 * (exit 4); the JUnit is read by an independent consumer (junitparser), the HTML report by headless
 * Chromium with networking off (DOM and pixels); SIGINT in the middle of a two-board run leaves
 * complete reports for what ran, the rest marked, and nothing running.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { COLOURS, TIMELINE } from '../../src/hil/html-report.js';
import type { HilResult } from '../../src/hil/result.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { startBoardkit, tmpEntries } from '../helpers/cli-child.js';
import { ROOT } from '../helpers/node-env.js';
import { decodePpm } from '../../src/core/ppm.js';

const run = promisify(execFile);
const spawner = new NodeSpawner();
const missing = !(await spawner.which('qemu-system-riscv64')) || !(await spawner.which('riscv64-unknown-elf-gcc'));
const noChromium = !(await spawner.which('chromium'));
const noJunitparser = (await run('/usr/bin/python3', ['-c', 'import junitparser']).then(() => false).catch(() => true)) as boolean;

const work = mkdtempSync(join(tmpdir(), 'bk-hil-'));
const tmp = mkdtempSync(join(tmpdir(), 'bk-hil-tmp-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

const readResult = (dir: string): HilResult => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as HilResult;

/** junitparser's view of a JUnit file: suites with properties, cases with their result kind. */
async function junitparser(file: string): Promise<Array<{ suite: string; properties: Record<string, string>; cases: Array<{ name: string; result: string; message: string; text: string }> }>> {
  const script = `
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
out = []
for s in JUnitXml.fromfile(sys.argv[1]):
    props = {p.name: p.value for p in s.properties()}
    cases = []
    for c in s:
        kind, msg, text = 'passed', '', ''
        for r in c.result:
            kind = {Failure: 'failure', Error: 'error', Skipped: 'skipped'}.get(type(r), type(r).__name__)
            msg, text = r.message or '', r.text or ''
        cases.append({'name': c.name, 'result': kind, 'message': msg, 'text': text})
    out.append({'suite': s.name, 'properties': props, 'cases': cases})
print(json.dumps(out))
`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script, file]);
  return JSON.parse(stdout);
}

describe.skipIf(missing)('hil run on emulated boards', () => {
  it.skipIf(noJunitparser)('hil/qemu-riscv64-netboot.yaml passes; junitparser reads every stage, marker and oracle with its properties', async () => {
    const out = join(work, 'netboot');
    const junit = join(work, 'netboot.xml');
    const c = startBoardkit(['hil', 'run', 'hil/qemu-riscv64-netboot.yaml', '-o', out, '--junit', junit, '--json'], { tmpDir: tmp });
    expect(await c.done, c.err()).toBe(0);
    const json = JSON.parse(c.out());
    expect(json.ok).toBe(true);
    const [suite] = await junitparser(junit);
    expect(suite!.suite).toBe('qemu-riscv64-virt');
    expect(suite!.properties).toMatchObject({ board: 'qemu-riscv64-virt', emulated: 'true', attempts: '1' });
    expect(suite!.properties['payload-sha256']).toMatch(/^[0-9a-f]{64}$/);
    const byName = Object.fromEntries(suite!.cases.map((x) => [x.name, x.result]));
    expect(byName).toMatchObject({
      'stage: build': 'passed',
      'stage: deploy': 'passed',
      'stage: power': 'passed',
      'boot: marker opensbi': 'passed',
      'boot: marker u-boot': 'passed',
      'boot: marker payload': 'passed',
      'oracle: storage (disk-signature)': 'passed',
      'oracle: ethernet (udp-broadcast)': 'passed',
      'stage: collect': 'passed',
    });
    expect(Object.values(byName).every((r) => r === 'passed')).toBe(true);
    expect(c.leftovers()).toEqual([]);
  }, 240_000);

  it.skipIf(noJunitparser)('a marker that never appears fails at that marker (exit 1) with the console excerpt; a failing power command is an error (exit 4)', async () => {
    const runFile = join(work, 'never.yaml');
    writeFileSync(
      runFile,
      ['schema: boardkit-hil/1', 'name: never', 'targets:', '  - board: qemu-riscv64-virt', 'timeouts: { expect: 3s }', 'stages:', '  - kind: deploy', '    method: emulate', '    boot: firmware-only', '  - kind: power', '  - kind: boot', "    expect: ['this line is never printed']", ''].join('\n'),
    );
    const out = join(work, 'never');
    const c = startBoardkit(['hil', 'run', runFile, '-o', out], { tmpDir: tmp });
    expect(await c.done, c.err()).toBe(1);
    expect(c.out()).toMatch(/FAIL {2}qemu-riscv64-virt .*boot: marker expect-1/);
    const [suite] = await junitparser(join(out, 'junit.xml'));
    const failed = suite!.cases.find((x) => x.name === 'boot: marker expect-1')!;
    expect(failed.result).toBe('failure');
    expect(failed.text).toContain('U-Boot'); // the console excerpt: what the board did print
    expect(suite!.cases.find((x) => x.name === 'boot: marker u-boot')!.result).toBe('passed');

    // The same board behind a power switch that fails: the lab's fault, exit 4, a JUnit <error>.
    const lab = join(work, 'lab.yaml');
    writeFileSync(lab, ['schema: boardkit-lab/1', 'boards:', '  - name: riscv-on-a-pdu', '    board: qemu-riscv64-virt', '    emulated: true', '    power: { driver: command, on: ["false"], off: ["false"], off-ms: 0 }', ''].join('\n'));
    const out2 = join(work, 'power');
    const p = startBoardkit(['hil', 'run', runFile, '--lab', lab, '-o', out2], { tmpDir: tmp });
    expect(await p.done, p.err()).toBe(4);
    expect(p.out()).toMatch(/ERROR {2}riscv-on-a-pdu .*power command for riscv-on-a-pdu failed \(exit 1\): false/);
    const [s2] = await junitparser(join(out2, 'junit.xml'));
    expect(s2!.cases.find((x) => x.name === 'stage: power')!.result).toBe('error');
    expect(s2!.cases.find((x) => x.name === 'stage: boot')!.result).toBe('skipped');
    expect(p.leftovers()).toEqual([]);
  }, 240_000);

  it.skipIf(noChromium)('the HTML report in headless Chromium, networking off: the DOM has the timeline and the log, the pixels show the bars', async () => {
    const out = join(work, 'netboot'); // written by the first test; rebuilt here if it did not run
    const html = join(out, 'report.html');
    if (!(await import('node:fs')).existsSync(html)) {
      const c = startBoardkit(['hil', 'run', 'hil/qemu-riscv64-netboot.yaml', '-o', out], { tmpDir: tmp });
      expect(await c.done, c.err()).toBe(0);
    }
    const profile = mkdtempSync(join(tmpdir(), 'bk-chromium-'));
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>', '--force-device-scale-factor=1', '--hide-scrollbars'];
    try {
      const { stdout: dom } = await run('chromium', [...flags, '--dump-dom', `file://${html}`], { maxBuffer: 64 << 20, timeout: 120_000 });
      expect(dom).toContain('qemu-riscv64-netboot: <span class="passed">PASSED</span>');
      const bars = [...dom.matchAll(/<rect class="bar" data-target="([^"]+)" data-stage="([^"]+)" data-status="(\w+)" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/g)];
      expect(bars.map((b) => b[2])).toEqual(['opensbi', 'u-boot', 'payload', 'result']);
      expect(dom).toMatch(/<pre class="console">[^]*BOARDKIT stage=payload/);
      const shot = join(profile, 'shot.png');
      await run('chromium', [...flags, `--screenshot=${shot}`, '--window-size=1000,300', `file://${html}`], { timeout: 120_000 });
      // Chromium's PNG, decoded by a few lines of Python over zlib (not by anything of ours), as a PPM.
      const ppm = join(profile, 'shot.ppm');
      await run('python3', ['-c', PNG_TO_PPM, shot, ppm]);
      const img = decodePpm(readFileSync(ppm));
      const green = [0x2e, 0x7d, 0x32];
      expect(COLOURS.passed).toBe('#2e7d32');
      for (const b of bars) {
        const width = Number(b[6]);
        if (width < 4) continue;
        const x = TIMELINE.left + Number(b[4]) + Math.floor(width / 2);
        const y = TIMELINE.top + Number(b[5]) + Math.floor(TIMELINE.barHeight / 2);
        const px = [...img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
        expect(px.every((v, i) => Math.abs(v - green[i]!) <= 8), `bar ${b[2]} at ${x},${y} is ${px}`).toBe(true);
      }
      // And a pixel between the bars' rows and the labels is background, not a bar.
      const bg = [...img.rgb.subarray(((TIMELINE.top + 2) * img.width + 4) * 3, ((TIMELINE.top + 2) * img.width + 4) * 3 + 3)];
      expect(bg).toEqual([255, 255, 255]);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }, 300_000);

  it('SIGINT in the middle of a two-board run: the finished board is reported in full, the other marked interrupted, nothing left running', async () => {
    const runFile = join(work, 'two.yaml');
    writeFileSync(
      runFile,
      ['schema: boardkit-hil/1', 'name: two', 'targets:', '  - board: qemu-riscv64-virt', '  - board: qemu-aarch64-virt', 'stages:', '  - kind: deploy', '    method: emulate', '    boot: firmware-only', '  - kind: power', '  - kind: boot', '  - kind: collect', ''].join('\n'),
    );
    const out = join(work, 'two');
    const c = startBoardkit(['hil', 'run', runFile, '-o', out], { tmpDir: tmp });
    // Once the first board's boot has passed and the second's has begun, press Ctrl-C.
    for (let i = 0; i < 600 && !/qemu-aarch64-virt: boot running|qemu-aarch64-virt: power passed/.test(c.err()); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    c.signal('SIGINT');
    expect(await c.done, c.err()).toBe(130);
    expect(c.err()).toMatch(/interrupted by SIGINT/);
    const r = readResult(out);
    expect(r.interrupted).toBe(true);
    expect(r.targets.map((t) => t.status)).toEqual(['passed', 'interrupted']);
    expect(r.targets[0]!.cases.filter((x) => x.name.startsWith('boot: marker')).map((x) => x.status)).toEqual(['passed', 'passed']);
    expect(r.targets[0]!.cases.filter((x) => x.status === 'failed' || x.status === 'error')).toEqual([]);
    const [, second] = await junitparser(join(out, 'junit.xml')).catch(() => [undefined, undefined]);
    if (second) expect(second.properties.interrupted).toBe('true');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('INTERRUPTED (partial results)');
    expect(c.leftovers()).toEqual([]);
    expect(tmpEntries(tmp)).toEqual([]);
  }, 240_000);

  it('the other CI run files pass: hil/x86-kiosk.yaml (UEFI, screenshot kept) and hil/third-party.yaml (iPXE, firmware chains)', async () => {
    for (const [file, names] of [
      ['hil/x86-kiosk.yaml', ['x86-kiosk']],
      ['hil/third-party.yaml', ['ipxe-x86-kiosk', 'firmware-riscv64', 'firmware-aarch64']],
    ] as const) {
      const out = join(work, file.replace(/\W/g, '_'));
      const c = startBoardkit(['hil', 'run', file, '-o', out], { tmpDir: tmp });
      expect(await c.done, `${file}: ${c.out()}\n${c.err()}`).toBe(0);
      const r = readResult(out);
      expect(r.targets.map((t) => [t.name, t.status])).toEqual(names.map((n) => [n, 'passed']));
      if (file === 'hil/x86-kiosk.yaml') {
        expect(r.targets[0]!.screendumps.some((s) => s.endsWith('.png'))).toBe(true);
        expect(r.targets[0]!.cases.find((x) => x.name === 'oracle: framebuffer (screendump-pattern)')?.status).toBe('passed');
      }
      expect(c.leftovers()).toEqual([]);
    }
  }, 400_000);
});

/** PNG (8-bit RGB/RGBA, non-interlaced, as Chromium writes) → binary PPM, with Python's zlib. */
const PNG_TO_PPM = String.raw`
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w, h, ct = 8, b'', 0, 0, 0
while pos < len(data):
    n, t = struct.unpack('>I4s', data[pos:pos+8]); body = data[pos+8:pos+8+n]; pos += 12 + n
    if t == b'IHDR': w, h, bd, ct = struct.unpack('>IIBB', body[:10]); assert bd == 8
    elif t == b'IDAT': idat += body
raw = zlib.decompress(idat); bpp = {2: 3, 6: 4}[ct]; stride = w * bpp
out, prev, i = bytearray(), bytearray(stride), 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
    for x in range(stride):
        a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    for x in range(w): out += line[x*bpp:x*bpp+3]
open(sys.argv[2], 'wb').write(b'P6\n%d %d\n255\n' % (w, h) + bytes(out))
`;

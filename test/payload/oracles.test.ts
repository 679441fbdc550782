/**
 * Pure oracle helpers against independent tools and hand-built bytes: the fixture disk's
 * signature as sfdisk reads it back, the UDP report frame decoder's checks, the GPIO oracles'
 * checks on hand-written consoles and register values, the test-only build gate and the
 * framebuffer test helper.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFixtureDisk, formatDiskSignature, randomDiskSignature, withMbrDiskSignature, writeDiskSignature } from '../../src/payload/disk-signature.js';
import { checkEthernetFrames, parseUdpReportFrame } from '../../src/payload/udp-report.js';
import { UsageError } from '../../src/core/errors.js';
import { patternRgb } from '../../src/payload/fb-pattern.js';
import {
  checkPl061Effect,
  checkSdRouteEffect,
  checkSifiveResetEffect,
  fselOf,
  parseXpWords,
  pl061Pattern,
  sifiveGpioPattern,
} from '../../src/payload/gpio-oracle.js';
import { parseBootReport, testOnlyBuildInImage } from '../../src/payload/report.js';
import { refuseTestOnlyPayload } from '../../src/workflows/payload-oracles.js';
import { framebufferProven } from './helpers/oracles.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';

const spawner = new NodeSpawner();
const haveSfdisk = !!(await spawner.which('sfdisk'));

async function sfdiskId(path: string): Promise<string> {
  const r = await spawner.run('sfdisk', ['--json', path]);
  return (JSON.parse(r.stdout.toString('utf8')) as { partitiontable: { id: string } }).partitiontable.id;
}

describe('disk signature oracle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-payload-disk-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!haveSfdisk)('writes a fixture disk whose signature sfdisk reads back, and rewrites it in place', async () => {
    const disk = join(dir, 'd.img');
    const a = randomDiskSignature();
    await createFixtureDisk(spawner, disk, 1 << 20, a);
    expect(await sfdiskId(disk)).toBe(formatDiskSignature(a));
    const b = randomDiskSignature();
    await writeDiskSignature(disk, b);
    expect(await sfdiskId(disk)).toBe(formatDiskSignature(b));
  });

  it('places the signature little-endian at byte 440 and nowhere else', () => {
    const out = withMbrDiskSignature(new Uint8Array(512), 0x12345678);
    expect([...out.subarray(440, 444)]).toEqual([0x78, 0x56, 0x34, 0x12]);
    expect(out.reduce((n, b) => n + (b ? 1 : 0), 0)).toBe(4);
    expect(formatDiskSignature(0xa)).toBe('0x0000000a');
  });
});

/** A report frame built by hand from RFC 791/768, independent of the C code. */
function frame(text: string, opts: { badChecksum?: boolean; dstPort?: number } = {}): Uint8Array {
  const payload = Buffer.from(text, 'latin1');
  const f = Buffer.alloc(14 + 20 + 8 + payload.length);
  f.fill(0xff, 0, 6);
  Buffer.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).copy(f, 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(20 + 8 + payload.length, 16);
  f[22] = 64;
  f[23] = 17;
  Buffer.from([10, 0, 2, 15, 255, 255, 255, 255]).copy(f, 26);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f.writeUInt16BE((~sum & 0xffff) ^ (opts.badChecksum ? 1 : 0), 24);
  f.writeUInt16BE(40000, 34);
  f.writeUInt16BE(opts.dstPort ?? 5555, 36);
  f.writeUInt16BE(8 + payload.length, 38);
  payload.copy(f, 42);
  return new Uint8Array(f);
}

describe('UDP report frame oracle', () => {
  const nonce = '00112233445566778899aabbccddeeff';
  const text = `BOARDKIT nonce=${nonce} board=qemu-riscv64-virt\n`;
  const want = { nonce, board: 'qemu-riscv64-virt', mac: '52:54:00:12:34:56', peerPort: 5555 };

  it('decodes a valid frame and finds it among other traffic', () => {
    expect(parseUdpReportFrame(frame(text))).toMatchObject({ srcIp: '10.0.2.15', dstIp: '255.255.255.255', srcPort: 40000, dstPort: 5555, nonce, board: 'qemu-riscv64-virt' });
    expect(checkEthernetFrames([new Uint8Array(60), frame(text)], want).nonce).toBe(nonce);
  });

  it('rejects a bad IPv4 checksum, another nonce, another port and truncated frames', () => {
    expect(parseUdpReportFrame(frame(text, { badChecksum: true }))).toBeUndefined();
    expect(parseUdpReportFrame(frame(text).subarray(0, 40))).toBeUndefined();
    expect(() => checkEthernetFrames([frame(text.replace(nonce, 'ff'.repeat(16)))], want)).toThrow(/no broadcast UDP report frame/);
    expect(() => checkEthernetFrames([frame(text, { dstPort: 1 })], want)).toThrow(/1 frame/);
  });
});

// ---- GPIO oracles (pure checks; the QEMU runs are in qemu-gpio-oracles.test.ts) ---------------

const N = Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
const NONCE_HEX = '00112233445566778899aabbccddeeff';
const stage = (extra = '') => `BOARDKIT stage=payload board=b nonce=${NONCE_HEX}${extra}\n`;

describe('GPIO oracle secrets and monitor reads', () => {
  it('derives the register patterns from the nonce as the C drivers do (hand-computed)', () => {
    // secret byte i = nonce[15 - i]: 0xff, 0xee, 0xdd, 0xcc
    expect(pl061Pattern(N, 3)).toEqual({ dir: 0xf7, data: 0xe6 });
    expect(sifiveGpioPattern(N, 10)).toEqual({ outputVal: 0xeeff, iofSel: 0xc8dd });
    // A secret byte with only the watched line set falls back to every other line as output.
    const onlyLine3 = new Uint8Array(16);
    onlyLine3[15] = 0x08;
    expect(pl061Pattern(onlyLine3, 3).dir).toBe(0xf7);
  });

  it('parses HMP xp answers', () => {
    expect(parseXpWords('000000003f200010: 0x24000000 0x00000924\r\n')).toEqual([0x24000000, 0x924]);
    expect(parseXpWords('0000000010060008: 0x00000400 0x0000eeff 0x00000000 0x00000001\n0000000010060018: 0xffffffff\n')).toEqual([0x400, 0xeeff, 0, 1, 0xffffffff]);
    expect(parseXpWords('Cannot access memory\n')).toEqual([]);
  });
});

describe('PL061 oracle: register pattern + secret edge count', () => {
  const text = (edges: number) =>
    stage() +
    'BOARDKIT gpio=waiting line=3 timeout-ms=20000\n' +
    Array.from({ length: edges }, (_, i) => `BOARDKIT gpio=edge n=${i + 1}\n`).join('') +
    `BOARDKIT driver=gpio status=ok detail=pl061,line=3,edge=rising,edges=${edges},out=nonce,waited-ms=900\nBOARDKIT result=pass\n`;
  const regs = { dir: 0xf7, data: 0xe6 | 0x08 };

  it('passes with the pattern in both registers and the count the host caused', () => {
    expect(checkPl061Effect(text(3), { nonce: N, line: 3, registers: regs, edgesSent: 3, acks: 3 })).toMatch(/0xf7\/0xe6.*3 edge/);
  });

  it('fails a payload that did not write the registers, miscounts, or never acknowledged', () => {
    expect(() => checkPl061Effect(text(3), { nonce: N, line: 3, registers: { dir: 0, data: 0 }, edgesSent: 3, acks: 3 })).toThrow(/GPIODIR reads 0x00, this run's pattern is 0xf7/);
    expect(() => checkPl061Effect(text(3), { nonce: N, line: 3, registers: { dir: 0xf7, data: 0 }, edgesSent: 3, acks: 3 })).toThrow(/GPIODATA output lines read 0x00/);
    expect(() => checkPl061Effect(text(1), { nonce: N, line: 3, registers: regs, edgesSent: 4, acks: 4 })).toThrow(/edges=1, the host caused 4/);
    expect(() => checkPl061Effect(text(1), { nonce: N, line: 3, registers: regs, edgesSent: 1, acks: 0 })).toThrow(/acknowledged 0 of the 1/);
    expect(() => checkPl061Effect(text(1), { nonce: N, line: 3, edgesSent: 0, acks: 0 })).toThrow(/could not read the PL061 registers/);
  });
});

describe('sifive_u reset oracle: pattern before the pulse, then a guest reset', () => {
  const text = stage() + 'BOARDKIT driver=gpio status=ok detail=sifive-gpio,line=10,mode=output,pattern=nonce,action=low-pulse-after-report\nBOARDKIT result=pass\nBOARDKIT gpio=armed line=10 hold-ms=3000\n';
  const registers = { outputEn: 0x400, outputVal: 0xeeff, iofSel: 0xc8dd };
  const reset = [{ event: 'STOP' }, { event: 'RESUME' }, { event: 'RESET', data: { guest: true, reason: 'guest-reset' } }];

  it('passes with the pattern, line 10 driven, and a guest-reset', () => {
    expect(checkSifiveResetEffect(text, { nonce: N, line: 10, registers, eventsAfter: reset })).toMatch(/0xeeff\/0xc8dd.*guest-reset/);
  });

  it('fails a reset without the pattern (SBI reboot), no reset, a host reset, and a no-effect', () => {
    expect(() => checkSifiveResetEffect(text, { nonce: N, line: 10, registers: { outputEn: 0, outputVal: 0, iofSel: 0 }, eventsAfter: reset })).toThrow(/read 0x0000\/0x0000, this run's pattern is 0xeeff\/0xc8dd/);
    expect(() => checkSifiveResetEffect(text, { nonce: N, line: 10, registers: { ...registers, outputEn: 0 }, eventsAfter: reset })).toThrow(/does not drive line 10/);
    expect(() => checkSifiveResetEffect(text, { nonce: N, line: 10, registers, eventsAfter: reset.slice(0, 2) })).toThrow(/no QMP RESET/);
    expect(() => checkSifiveResetEffect(text, { nonce: N, line: 10, registers, eventsAfter: [{ event: 'RESET', data: { guest: false, reason: 'host-qmp-system-reset' } }] })).toThrow(/reason is host-qmp-system-reset/);
    expect(() => checkSifiveResetEffect(`${text}BOARDKIT gpio=no-effect status=fail\nBOARDKIT result=fail\n`, { nonce: N, line: 10, registers, eventsAfter: [] })).toThrow(/gpio=no-effect/);
  });

  it('a no-effect also fails the payload report itself (result=fail after the pulse)', () => {
    const r = parseBootReport(`${text}BOARDKIT gpio=no-effect status=fail\nBOARDKIT result=fail\n`);
    expect(r.result).toBe('fail');
  });
});

describe('rpi3b SD route oracle: function selects + controller used', () => {
  const text = (route: string, via: string) =>
    stage() +
    `BOARDKIT driver=gpio status=ok detail=bcm2835-gpio,pins=48-53,route=${route},fsel=7\n` +
    `BOARDKIT driver=storage status=ok detail=sdhost,via=${via},base=0x3f300000,card=sdsc,sig=0x12345678\nBOARDKIT result=pass\n`;
  // ALT3 (7) on GPIO 48,49 (GPFSEL4 bits 24-29) and 50-53 (GPFSEL5 bits 0-11); ALT0 (4) likewise.
  const alt3 = { gpfsel4: (7 << 24) | (7 << 27), gpfsel5: 0o7777 };
  const alt0 = { gpfsel4: (4 << 24) | (4 << 27), gpfsel5: 0o4444 };

  it('reads the function of pins 40-59 from GPFSEL4/5', () => {
    expect([48, 49, 50, 53].map((p) => fselOf(alt3, p))).toEqual([7, 7, 7, 7]);
    expect(fselOf(alt3, 47)).toBe(0);
    expect(fselOf(alt3, 54)).toBe(0);
  });

  it('passes when the registers, the gpio report and the storage controller agree with the run’s route', () => {
    expect(checkSdRouteEffect(text('sdhci', 'sdhci'), { route: 'sdhci', registers: alt3 })).toMatch(/function 7 on GPIO 48-53.*via sdhci/);
    expect(checkSdRouteEffect(text('sdhost', 'sdhost'), { route: 'sdhost', registers: alt0 })).toMatch(/function 4/);
  });

  it('fails untouched function selects, the other route, and the wrong controller', () => {
    expect(() => checkSdRouteEffect(text('sdhci', 'sdhci'), { route: 'sdhci', registers: { gpfsel4: 0, gpfsel5: 0 } })).toThrow(/GPIO 48,49,50,51,52,53 select function 0,0,0,0,0,0, this run's route sdhci needs 7/);
    expect(() => checkSdRouteEffect(text('sdhost', 'sdhost'), { route: 'sdhci', registers: alt0 })).toThrow(/needs 7/);
    expect(() => checkSdRouteEffect(text('sdhost', 'sdhci'), { route: 'sdhci', registers: alt3 })).toThrow(/route=sdhost, this run asked for sdhci/);
    expect(() => checkSdRouteEffect(text('sdhci', 'sdhost'), { route: 'sdhci', registers: alt3 })).toThrow(/via=sdhost, this run's route is sdhci/);
  });
});

describe('test-only builds are marked and refused', () => {
  it('finds the mark compiled into an image, and only there', () => {
    const img = (s: string) => new Uint8Array(Buffer.concat([Buffer.alloc(64, 0x11), Buffer.from(s, 'latin1'), Buffer.alloc(8)]));
    expect(testOnlyBuildInImage(img(' build=test-only-fake-ok\0'))).toBe('test-only-fake-ok');
    expect(testOnlyBuildInImage(img(' build=test-only-skip-gpio\0'))).toBe('test-only-skip-gpio');
    expect(testOnlyBuildInImage(img(' build=\0'))).toBeUndefined(); // a real build's empty mark
    expect(() => refuseTestOnlyPayload(img(' build=test-only-fake-ok\0'), 'p.elf', undefined)).toThrow(UsageError);
    expect(() => refuseTestOnlyPayload(img(' build=test-only-fake-ok\0'), 'p.elf', undefined)).toThrow(/p.elf is a test-only-fake-ok build/);
    expect(() => refuseTestOnlyPayload(img(' build=test-only-fake-ok\0'), 'p.elf', true)).not.toThrow();
    expect(() => refuseTestOnlyPayload(img(' build=\0'), 'p.elf', undefined)).not.toThrow();
  });

  it('the stage line carries the mark and the report keeps it', () => {
    expect(parseBootReport(stage(' build=test-only-fake-ok')).build).toBe('test-only-fake-ok');
    expect(parseBootReport(stage()).build).toBeUndefined();
  });
});

describe('framebufferProven (test helper): a missing screendump is never a verdict', () => {
  const ppm = (w: number, h: number, fill: (x: number, y: number) => number) => {
    const px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const c = fill(x, y);
      px.set([c >> 16, (c >> 8) & 0xff, c & 0xff], (y * w + x) * 3);
    }
    return new Uint8Array(Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`, 'latin1'), px]));
  };

  it('throws when there is no screendump or it is not one, instead of answering false', () => {
    expect(() => framebufferProven(undefined, N)).toThrow(/infrastructure error/);
    expect(() => framebufferProven(new Uint8Array(Buffer.from('QMP error', 'latin1')), N)).toThrow(/not a binary PPM: magic is not P6/);
  });

  it('answers true only for this run’s pattern, false for another picture or size', () => {
    expect(framebufferProven(ppm(640, 480, (x, y) => patternRgb(N, x, y, 640, 480)), N)).toBe(true);
    expect(framebufferProven(ppm(640, 480, () => 0), N)).toBe(false);
    expect(framebufferProven(ppm(720, 400, () => 0), N)).toBe(false);
  });
});

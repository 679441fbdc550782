/**
 * uImage codec against the independent oracle: U-Boot's own mkimage (u-boot-tools). With
 * SOURCE_DATE_EPOCH fixed, our `boot.scr` must be byte-identical to `mkimage -T script`'s, and
 * `mkimage -l` must list ours correctly; mkimage's images must decode with ours.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UImageArch,
  UImageError,
  UImageType,
  crc32,
  decodeMultiData,
  decodeScriptImage,
  decodeUImage,
  encodeMultiData,
  encodeScriptImage,
  encodeUImage,
} from '../../src/protocols/uimage.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';

const spawner = new NodeSpawner();
const EPOCH = 1_700_000_000;
let dir: string;
let hasMkimage = false;
const script = 'setenv bootargs console=ttyS0,115200\ntftpboot ${kernel_addr_r} Image\nbooti ${kernel_addr_r} - ${fdt_addr_r}\n';

async function mkimage(args: string[]) {
  const r = await spawner.run('mkimage', args, { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return r.stdout.toString();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bk-uimage-'));
  hasMkimage = (await spawner.which('mkimage')) !== undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('uImage vs mkimage', () => {
  it('boot.scr is byte-identical to mkimage -T script', async (ctx) => {
    if (!hasMkimage) ctx.skip(); // u-boot-tools not installed
    writeFileSync(join(dir, 'boot.txt'), script);
    await mkimage(['-A', 'riscv', '-O', 'linux', '-T', 'script', '-C', 'none', '-n', 'boardkit netboot', '-d', join(dir, 'boot.txt'), join(dir, 'ref.scr')]);
    const ref = readFileSync(join(dir, 'ref.scr'));
    const ours = encodeScriptImage(script, { name: 'boardkit netboot', arch: UImageArch.riscv, time: EPOCH });
    expect(Buffer.from(ours).equals(ref)).toBe(true);
    expect(decodeScriptImage(ref)).toBe(script);
  });

  it('mkimage -l lists an image we built', async (ctx) => {
    if (!hasMkimage) ctx.skip();
    const text = 'echo odd length!';
    writeFileSync(join(dir, 'ours.scr'), encodeScriptImage(text, { name: 'x'.repeat(32), arch: UImageArch.arm64, time: EPOCH }));
    const listing = await mkimage(['-l', join(dir, 'ours.scr')]);
    expect(listing).toMatch(/Image Name:\s+x{32}/);
    expect(listing).toMatch(/AArch64 Linux Script \(uncompressed\)/);
    expect(listing).toMatch(new RegExp(`Image 0: ${text.length} Bytes`));
  });

  it('multi-file images: length table and 4-byte padding match mkimage -T multi', async (ctx) => {
    if (!hasMkimage) ctx.skip();
    const a = new Uint8Array(5).fill(0xaa);
    const b = new Uint8Array(7).fill(0xbb);
    const c = new Uint8Array(8).fill(0xcc);
    writeFileSync(join(dir, 'a'), a);
    writeFileSync(join(dir, 'b'), b);
    writeFileSync(join(dir, 'c'), c);
    await mkimage(['-A', 'arm', '-O', 'linux', '-T', 'multi', '-C', 'none', '-a', '0x80000000', '-e', '0x80000040', '-n', 'm', '-d', `${join(dir, 'a')}:${join(dir, 'b')}:${join(dir, 'c')}`, join(dir, 'multi.img')]);
    const ref = readFileSync(join(dir, 'multi.img'));
    const ours = encodeUImage(encodeMultiData([a, b, c]), { name: 'm', type: UImageType.multi, load: 0x80000000, entry: 0x80000040, time: EPOCH });
    expect(Buffer.from(ours).equals(ref)).toBe(true);
    const { header, data } = decodeUImage(ref);
    expect(header).toMatchObject({ load: 0x80000000, entry: 0x80000040, type: UImageType.multi, name: 'm', time: EPOCH });
    expect(decodeMultiData(data).map((p) => Buffer.from(p).toString('hex'))).toEqual([a, b, c].map((p) => Buffer.from(p).toString('hex')));
  });
});

describe('corruption is detected', () => {
  const img = encodeScriptImage('echo hi\n');
  it.each([
    ['bad magic', 0, 0x28],
    ['header CRC', 12, 0xff],
    ['data CRC', 74, 0x00],
  ])('%s', (_n, at, value) => {
    const bad = img.slice();
    bad[at] = value;
    expect(() => decodeScriptImage(bad)).toThrow(UImageError);
  });
  it('truncation', () => expect(() => decodeUImage(img.subarray(0, 70))).toThrow(/truncated/));
  it('a kernel image is not a script', () => expect(() => decodeScriptImage(encodeUImage(new Uint8Array(8)))).toThrow(/not a script/));
});

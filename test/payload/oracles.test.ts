/**
 * Pure oracle helpers against independent tools and hand-built bytes: the fixture disk's
 * signature as sfdisk reads it back, and the UDP report frame decoder's checks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFixtureDisk, formatDiskSignature, randomDiskSignature, withMbrDiskSignature, writeDiskSignature } from '../../src/payload/disk-signature.js';
import { checkEthernetFrames, parseUdpReportFrame } from '../../src/payload/udp-report.js';
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

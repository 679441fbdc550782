import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMbr, encodeMbr, chsOf } from '../../src/protocols/mbr/index.js';
import { bytesToGuid, decodeGptEntries, decodeGptHeader, encodeGpt, GptTypeAlias, guidToBytes, resolveGptType } from '../../src/protocols/gpt/index.js';

const work = mkdtempSync(join(tmpdir(), 'bk-table-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeDisk(path: string, size: number, pieces: Array<[number, Uint8Array]>): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  for (const [at, b] of pieces) writeSync(fd, b, 0, b.length, at);
  closeSync(fd);
}

describe('MBR codec against sfdisk', () => {
  it('four primary partitions, types, bootable flag and the disk id read back by sfdisk --json', () => {
    const parts = [
      { bootable: true, type: 0x0c, firstLba: 2048, sizeLba: 4096 },
      { bootable: false, type: 0x83, firstLba: 6144, sizeLba: 2048 },
      { bootable: false, type: 0xef, firstLba: 8192, sizeLba: 100 },
      { bootable: false, type: 0x0e, firstLba: 10240, sizeLba: 2000 },
    ];
    const img = join(work, 'mbr.img');
    writeDisk(img, 16 << 20, [[0, encodeMbr({ diskSignature: 0xdeadbeef, partitions: parts })]]);
    const j = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable;
    expect(j.label).toBe('dos');
    expect(j.id).toBe('0xdeadbeef');
    expect(j.partitions.map((p: { start: number; size: number; type: string; bootable?: boolean }) => [p.start, p.size, parseInt(p.type, 16), p.bootable ?? false])).toEqual(parts.map((p) => [p.firstLba, p.sizeLba, p.type, p.bootable]));
    expect(decodeMbr(encodeMbr({ diskSignature: 1, partitions: parts })).partitions).toEqual(parts);
  });

  it('CHS saturates past cylinder 1023 and matches 255/63 translation below', () => {
    expect(chsOf(2048)).toEqual([32, 33, 0]);
    expect(chsOf(1024 * 255 * 63)).toEqual([0xfe, 0xff, 0xff]);
  });
});

describe('GPT codec against sgdisk and sfdisk', () => {
  it('GUIDs are stored mixed-endian (UEFI Appendix A) and aliases resolve', () => {
    const b = guidToBytes(GptTypeAlias.esp);
    expect(Buffer.from(b).toString('hex')).toBe('28732ac11ff8d211ba4b00a0c93ec93b');
    expect(bytesToGuid(b)).toBe(GptTypeAlias.esp);
    expect(resolveGptType('sifive-spl')).toBe('5B193300-FC78-40CD-8002-E86C45580B47');
    expect(resolveGptType('nonsense')).toBeUndefined();
  });

  it('a table with SPL/ITB at LBA 34 and 2082, an ESP and Linux: sgdisk -v finds no problems and reports the same entries', () => {
    const size = 64 << 20;
    const total = size / 512;
    const table = {
      diskGuid: '11111111-2222-4333-8444-555555555555',
      sectorSize: 512,
      totalSectors: total,
      partitions: [
        { typeGuid: resolveGptType('sifive-spl')!, uniqueGuid: 'AAAAAAAA-0000-4000-8000-000000000001', firstLba: 34, lastLba: 2081, name: 'spl' },
        { typeGuid: resolveGptType('sifive-uboot')!, uniqueGuid: 'AAAAAAAA-0000-4000-8000-000000000002', firstLba: 2082, lastLba: 10273, name: 'uboot' },
        { typeGuid: resolveGptType('esp')!, uniqueGuid: 'AAAAAAAA-0000-4000-8000-000000000003', firstLba: 16384, lastLba: 65535, name: 'ESP' },
        { typeGuid: resolveGptType('linux')!, uniqueGuid: 'AAAAAAAA-0000-4000-8000-000000000004', firstLba: 65536, lastLba: total - 34, name: 'root' },
      ],
    };
    const g = encodeGpt(table);
    const img = join(work, 'gpt.img');
    writeDisk(img, size, [[0, g.primary], [g.backupOffset, g.backup]]);
    const v = execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' });
    expect(v).toContain('No problems found');
    const j = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable;
    expect(j.label).toBe('gpt');
    expect(j.id).toBe(table.diskGuid);
    expect(j.lastlba).toBe(total - 34);
    expect(j.partitions.map((p: { start: number; size: number; type: string; uuid: string; name: string }) => [p.start, p.size, p.type, p.uuid, p.name])).toEqual(
      table.partitions.map((p) => [p.firstLba, p.lastLba - p.firstLba + 1, p.typeGuid, p.uniqueGuid, p.name]),
    );
    const info = execFileSync('sgdisk', ['-i', '1', img], { encoding: 'utf8' });
    expect(info).toContain('5B193300-FC78-40CD-8002-E86C45580B47');
    expect(info).toMatch(/First sector: 34 /);
    // The backup header sits at the real last LBA and points back at LBA 1.
    const backupHeader = g.backup.subarray(g.backup.length - 512);
    const h = decodeGptHeader(backupHeader);
    expect(h.myLba).toBe(total - 1);
    expect(h.alternateLba).toBe(1);
    expect(decodeGptEntries(g.backup.subarray(0, 128 * 128), h)).toHaveLength(4);
  });

  it('a corrupted entry array is caught by our CRC check and by sgdisk', () => {
    const size = 8 << 20;
    const g = encodeGpt({ diskGuid: '11111111-2222-4333-8444-555555555555', sectorSize: 512, totalSectors: size / 512, partitions: [{ typeGuid: GptTypeAlias.linux, uniqueGuid: '11111111-2222-4333-8444-555555555556', firstLba: 2048, lastLba: 4095 }] });
    g.primary[1024 + 40] ^= 1;
    expect(() => decodeGptEntries(g.primary.subarray(1024), decodeGptHeader(g.primary.subarray(512, 1024)))).toThrow(/CRC32/);
    const img = join(work, 'bad.img');
    writeDisk(img, size, [[0, g.primary], [g.backupOffset, g.backup]]);
    let out = '';
    try {
      out = execFileSync('sgdisk', ['-v', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      out = String((e as { stdout: string }).stdout);
    }
    expect(out).not.toContain('No problems found');
  });
});

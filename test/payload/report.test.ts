import { describe, expect, it } from 'vitest';

import { checkBootReport, checkReportNonce, parseBootReport } from '../../src/payload/report.js';
import { QEMU_RISCV64_VIRT } from './helpers/boards.js';

const NONCE = '00112233445566778899aabbccddeeff';
const LOG = `OpenSBI v1.1
Boot HART ID : 0
BOARDKIT stage=payload board=qemu-riscv64-virt nonce=${NONCE}\r
BOARDKIT info arch=riscv64 mode=S hart=0 dtb=0x82200000\r
BOARDKIT driver=uart status=ok detail=ns16550a,base=0x10000000,baud=115200,console=yes\r
BOARDKIT driver=storage status=ok detail=virtio-blk,base=0x10008000,transport=legacy,sig=0x1a2b3c4d\r
BOARDKIT driver=ethernet status=ok detail=virtio-net,base=0x10007000,transport=legacy,sent=udp-broadcast,len=114,dst-port=40001\r
BOARDKIT result=pass\r
`;

describe('boot report', () => {
  it('parses stage, info, driver lines with detail fields, and result', () => {
    const r = parseBootReport(LOG);
    expect(r).toMatchObject({ board: 'qemu-riscv64-virt', nonce: NONCE, result: 'pass', info: { arch: 'riscv64', hart: '0' } });
    expect(r.drivers.map((d) => [d.kind, d.controller, d.status])).toEqual([
      ['uart', 'ns16550a', 'ok'],
      ['storage', 'virtio-blk', 'ok'],
      ['ethernet', 'virtio-net', 'ok'],
    ]);
    expect(r.drivers[1]!.fields).toEqual({ base: '0x10008000', transport: 'legacy', sig: '0x1a2b3c4d' });
    expect(() => checkBootReport(r, QEMU_RISCV64_VIRT, NONCE)).not.toThrow();
  });

  it('rejects a stale nonce, a missing stage line and an all-zero expectation', () => {
    const r = parseBootReport(LOG);
    expect(() => checkReportNonce(r, 'ffeeddccbbaa99887766554433221100')).toThrow(/stale nonce: the payload reported 0011/);
    expect(() => checkReportNonce(parseBootReport('no report here'), NONCE)).toThrow(/no stage line/);
    expect(() => checkReportNonce(r, new Uint8Array(16))).toThrow(/fresh/);
  });

  it('uses only the first boot after a reboot, and reports faults, failures and missing drivers', () => {
    const second = LOG.replace(NONCE, 'ffeeddccbbaa99887766554433221100');
    expect(parseBootReport(LOG + second).nonce).toBe(NONCE);
    const faulted = parseBootReport(LOG.split('\n').slice(0, 5).join('\n') + '\nBOARDKIT fault pc=0x80200a10 addr=0x0 cause=0xd\n');
    expect(faulted.faults).toEqual([{ pc: '0x80200a10', addr: '0x0', cause: '0xd' }]);
    expect(() => checkBootReport(faulted, QEMU_RISCV64_VIRT, NONCE)).toThrow(/faulted: pc=0x80200a10/);
    const failed = parseBootReport(LOG.replace('storage status=ok', 'storage status=fail').replace('result=pass', 'result=fail'));
    expect(() => checkBootReport(failed, QEMU_RISCV64_VIRT, NONCE)).toThrow(/failed: storage/);
    const short = parseBootReport(LOG.replace(/[^\n]*driver=ethernet[^\n]*\n/, ''));
    expect(() => checkBootReport(short, QEMU_RISCV64_VIRT, NONCE)).toThrow(/do not match the build/);
    expect(() => checkBootReport(parseBootReport(LOG), { ...QEMU_RISCV64_VIRT, board: 'rpi3b' }, NONCE)).toThrow(/board=qemu-riscv64-virt/);
  });
});

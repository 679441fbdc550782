import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type RunningQemu } from '../../src/emulator/qemu-runner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';
import { openRawConsole } from './raw-console.js';

const FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const ready = await access(FW_JUMP).then(() => true, () => false);
const spawner = new NodeSpawner();
let base: string;
let vm: RunningQemu | undefined;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'bk-gdb-test-'));
});
afterAll(async () => {
  await vm?.shutdown();
  await rm(base, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A minimal GDB remote serial protocol client (GDB manual, "Remote Protocol" / "Overview"). */
class Rsp {
  private buf = '';
  private constructor(private readonly s: Socket) {
    s.setEncoding('latin1');
    s.on('data', (d: string) => (this.buf += d));
  }
  static async open(port: number): Promise<Rsp> {
    const s = await new Promise<Socket>((resolve, reject) => {
      const c = connect(port, '127.0.0.1', () => resolve(c));
      c.once('error', reject);
    });
    return new Rsp(s);
  }
  send(data: string): void {
    let sum = 0;
    for (const ch of data) sum = (sum + ch.charCodeAt(0)) & 0xff;
    this.s.write(`$${data}#${sum.toString(16).padStart(2, '0')}`);
  }
  /** Next packet payload (acks '+' are skipped; we ack every packet). */
  async reply(timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m.index + m[0].length);
        this.s.write('+');
        return m[1]!;
      }
      if (Date.now() > end) throw new Error(`no RSP reply; buffer: ${this.buf}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  close(): void {
    this.s.destroy();
  }
}

describe.skipIf(!ready)('gdb stub', () => {
  it('stays at the reset vector until the debugger continues', async () => {
    const gdbPort = await freePort();
    vm = await startQemu(
      { binary: 'qemu-system-riscv64', machine: 'virt', memory: '256M', bios: FW_JUMP, gdbPort },
      { spawner, connectQmp: connectQmpSocket, accel: 'tcg', tmpDir: base, slot: { dir: join(base, 'slots') } },
    );
    const con = await openRawConsole(vm.consolePath);
    await vm.resume(); // no-op with a gdb stub: the debugger owns the run state
    await new Promise((r) => setTimeout(r, 300));
    expect(con.text()).toBe('');
    const gdb = await Rsp.open(gdbPort);
    gdb.send('?');
    expect(await gdb.reply()).toMatch(/^[ST]05/); // stopped by SIGTRAP
    // 'g' reads all registers; for riscv64 that is x0..x31 then pc, 8 bytes each, target order.
    // QEMU virt's reset vector (its MROM) is 0x1000.
    gdb.send('g');
    const regs = Buffer.from(await gdb.reply(), 'hex');
    expect(regs.length).toBeGreaterThanOrEqual(33 * 8);
    const pc = regs.readBigUInt64LE(32 * 8);
    expect(pc).toBe(0x1000n);
    gdb.send('c');
    await con.waitFor('OpenSBI v', 15_000);
    gdb.close();
    con.close();
    await vm.shutdown();
  }, 30_000);
});

/**
 * Conformance against independent real clients on 127.0.0.1: atftp (blksize/windowsize/tsize via
 * --option), curl (tftp://, --tftp-blksize) and tftp-hpa; a 100 MiB file at blksize 512 crossing
 * the 65535 → 0 block wrap; every error code our server sends, checked on the wire.
 * All of it twice: reads served by the native pump (the default on kernel UDP) and by the
 * TypeScript engine (what the userspace stack and fakes use).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, openSync, writeSync, closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAck, encodeData, encodeRequest, decodePacket, encodeError } from '../../src/protocols/tftp/packet.js';
import { TftpServer, type TftpServerEvent } from '../../src/netboot/tftp-server.js';
import { staticFiles } from '../../src/netboot/generated-files.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { UdpDatagramNetwork } from '../../src/transports/node/udp-datagram-link.js';
import type { Datagram } from '../../src/transports/datagram-link.js';
import { rawDatagramClient } from '../helpers/raw-datagram-client.js';

const spawner = new NodeSpawner();
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
describe.each([
  { engine: 'native pump', nativePump: true },
  { engine: 'TypeScript engine', nativePump: false },
])('$engine', ({ nativePump }) => {
  const network = new UdpDatagramNetwork({ recvBufferSize: 4 << 20, nativePump });

  let dir: string;
  let root: string;
  let uploads: string;
  let server: TftpServer;
  let port: number;
  const events: TftpServerEvent[] = [];
  const small = randomBytes(300_000);
  const exact = randomBytes(1468 * 20); // ends with an empty DATA block

  beforeAll(async () => {
    if (nativePump) expect(network.tftpPump, `the native TFTP pump must be built: ${network.tftpPumpMissing}`).toBeDefined();
    else expect(network.tftpPump).toBeUndefined();
    dir = mkdtempSync(join(tmpdir(), 'bk-tftp-conf-'));
    root = join(dir, 'root');
    uploads = join(dir, 'uploads');
    mkdirSync(root);
    mkdirSync(uploads);
    writeFileSync(join(root, 'small.bin'), small);
    writeFileSync(join(root, 'exact.bin'), exact);
    writeFileSync(join(root, 'text.txt'), 'line one\nline two\r\n');
    writeFileSync(join(root, 'secret.bin'), 'x');
    // A 100 MiB file written in chunks (deterministic content).
    const fd = openSync(join(root, 'big.bin'), 'w');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < 100; i++) {
      chunk.fill(i);
      chunk.writeUInt32BE(i * 2654435761 >>> 0, 0);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    server = new TftpServer({
      network,
      listen: { address: '127.0.0.1', port: 0 },
      root,
      uploadRoot: uploads,
      generated: staticFiles({ 'generated/hello.txt': 'hello from memory\n' }),
      pathMtu: 65536,
      onEvent: (e) => events.push(e),
    });
    port = (await server.start()).port;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(tool: string, args: string[], timeoutMs = 60_000) {
    const r = await spawner.run(tool, args, { timeoutMs, cwd: dir });
    return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
  }

  describe('real clients', () => {
    it.each([
      ['lock-step 512', []],
      ['blksize 1468 + tsize', ['--option', 'blksize 1468', '--option', 'tsize 0']],
      ['blksize 8192 windowsize 16', ['--option', 'blksize 8192', '--option', 'windowsize 16']],
      ['blksize 8 (minimum)', ['--option', 'blksize 8']],
    ])('atftp get, %s', async (_name, opts) => {
      const out = join(dir, `atftp-${randomBytes(4).toString('hex')}`);
      const r = await run('atftp', [...opts, '--get', '-r', 'small.bin', '-l', out, '127.0.0.1', String(port)]);
      expect(r.code, r.out).toBe(0);
      expect(sha256(readFileSync(out))).toBe(sha256(small));
    });

    it('atftp: a file of exactly k·blksize ends with an empty block', async () => {
      const out = join(dir, 'exact.out');
      const r = await run('atftp', ['--option', 'blksize 1468', '--get', '-r', 'exact.bin', '-l', out, '127.0.0.1', String(port)]);
      expect(r.code, r.out).toBe(0);
      expect(sha256(readFileSync(out))).toBe(sha256(exact));
    });

    it('curl tftp:// with --tftp-blksize, and a generated in-memory file', async () => {
      const out = join(dir, 'curl.out');
      let r = await run('curl', ['-sS', '--max-time', '30', '--tftp-blksize', '1468', '-o', out, `tftp://127.0.0.1:${port}/small.bin`]);
      expect(r.code, r.out).toBe(0);
      expect(sha256(readFileSync(out))).toBe(sha256(small));
      r = await run('curl', ['-sS', '--max-time', '30', '-o', out, `tftp://127.0.0.1:${port}/generated/hello.txt`]);
      expect(r.code, r.out).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('hello from memory\n');
    });

    it('tftp-hpa get (octet, and netascii converts newlines back)', async () => {
      const out = join(dir, 'hpa.out');
      let r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'small.bin', out]);
      expect(r.code, r.out).toBe(0);
      expect(sha256(readFileSync(out))).toBe(sha256(small));
      const txt = join(dir, 'hpa.txt');
      r = await run('tftp', ['-m', 'ascii', '127.0.0.1', String(port), '-c', 'get', 'text.txt', txt]);
      expect(r.code, r.out).toBe(0);
      expect(readFileSync(txt, 'utf8')).toBe('line one\nline two\r\n');
    });

    it('tftp-hpa put goes to the upload root and never overwrites', async () => {
      const src = join(dir, 'up.bin');
      const body = randomBytes(5000);
      writeFileSync(src, body);
      let r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'put', src, 'up.bin']);
      expect(r.code, r.out).toBe(0);
      expect(sha256(readFileSync(join(uploads, 'up.bin')))).toBe(sha256(body));
      expect(existsSync(join(root, 'up.bin'))).toBe(false);
      writeFileSync(src, 'other');
      r = await run('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'put', src, 'up.bin']);
      expect(r.out).toMatch(/exists|Error code 6/i);
      expect(sha256(readFileSync(join(uploads, 'up.bin')))).toBe(sha256(body));
    });

    it('100 MiB at blksize 512 wraps block numbers and arrives byte-identical (atftp)', async () => {
      const out = join(dir, 'big.out');
      const t0 = performance.now();
      const r = await run('atftp', ['--option', 'blksize 512', '--get', '-r', 'big.bin', '-l', out, '127.0.0.1', String(port)], 170_000);
      expect(r.code, r.out).toBe(0);
      const s = (performance.now() - t0) / 1000;
      expect(sha256(readFileSync(out))).toBe(sha256(readFileSync(join(root, 'big.bin'))));
      rmSync(out);
      const done = events.find((e) => e.type === 'transfer-done' && e.transfer.file === 'big.bin');
      expect(done && done.type === 'transfer-done' && done.bytes).toBe(100 * 1024 * 1024);
      // 204801 blocks: the wire counter passed 65535 three times.
      console.info(`100 MiB @512 in ${s.toFixed(1)} s (${(100 / s).toFixed(1)} MiB/s)`);
    }, 180_000);
  });

  /** A raw UDP client for error paths: sends bytes (to the request port by default), collects replies. */
  async function rawClient() {
    const c = await rawDatagramClient(network);
    return { ...c, send: (bytes: Uint8Array, p = port) => c.send(bytes, { address: '127.0.0.1', port: p }) };
  }

  function errorOf(d: Datagram) {
    const p = decodePacket(d.data);
    if (p.op !== 'ERROR') throw new Error(`expected ERROR, got ${p.op}`);
    return p;
  }

  describe('error paths, checked on the wire', () => {
    it('1 not found (real client too)', async () => {
      const c = await rawClient();
      await c.send(encodeRequest('RRQ', 'missing.bin', 'octet'));
      expect(errorOf(await c.next()).code).toBe(1);
      await c.link.close();
      const r = await run('curl', ['-sS', '--max-time', '30', '-o', join(dir, 'nf'), `tftp://127.0.0.1:${port}/missing.bin`]);
      expect(r.code).not.toBe(0);
    });

    it('2 access violation: traversal, and WRQ into an existing name', async () => {
      const c = await rawClient();
      await c.send(encodeRequest('RRQ', '../etc/passwd', 'octet'));
      expect(errorOf(await c.next()).code).toBe(2);
      await c.link.close();
    });

    it('3 allocation exceeded: a WRQ announcing more than the upload limit', async () => {
      const c = await rawClient();
      await c.send(encodeRequest('WRQ', 'huge.bin', 'octet', [['tsize', String(1024 ** 3)]]));
      expect(errorOf(await c.next()).code).toBe(3);
      await c.link.close();
    });

    it('4 illegal operation: unknown opcode, unknown mode, DATA to the request port', async () => {
      const c = await rawClient();
      await c.send(Uint8Array.of(0, 9, 1, 2));
      expect(errorOf(await c.next()).code).toBe(4);
      await c.send(encodeRequest('RRQ', 'small.bin', 'mail'));
      expect(errorOf(await c.next()).code).toBe(4);
      await c.send(encodeData(1, Uint8Array.of(1)));
      expect(errorOf(await c.next()).code).toBe(4);
      await c.link.close();
    });

    it('5 unknown TID: a stranger gets ERROR 5 and the transfer continues', async () => {
      const c = await rawClient();
      const stranger = await rawClient();
      await c.send(encodeRequest('RRQ', 'small.bin', 'octet'));
      const first = await c.next();
      const tid = first.from.port;
      expect(tid).not.toBe(port);
      expect(decodePacket(first.data)).toMatchObject({ op: 'DATA', block: 1 });
      await stranger.send(encodeAck(1), tid);
      expect(errorOf(await stranger.next()).code).toBe(5);
      // The real client finishes the transfer.
      const got: Uint8Array[] = [(decodePacket(first.data) as { data: Uint8Array }).data];
      let block = 1;
      await c.send(encodeAck(block), tid);
      for (;;) {
        const p = decodePacket((await c.next()).data);
        if (p.op !== 'DATA') throw new Error(p.op);
        if (p.block !== ((block + 1) & 0xffff)) continue;
        block++;
        got.push(p.data);
        await c.send(encodeAck(p.block), tid);
        if (p.data.length < 512) break;
      }
      expect(sha256(Buffer.concat(got))).toBe(sha256(small));
      await c.link.close();
      await stranger.link.close();
    });

    it('8 option refusal: blksize below 8, non-numeric timeout; timeout is echoed unchanged', async () => {
      const c = await rawClient();
      await c.send(encodeRequest('RRQ', 'small.bin', 'octet', [['blksize', '4']]));
      expect(errorOf(await c.next()).code).toBe(8);
      await c.send(encodeRequest('RRQ', 'small.bin', 'octet', [['timeout', 'five']]));
      expect(errorOf(await c.next()).code).toBe(8);
      // U-Boot's request: the OACK must echo timeout 5 and may lower blksize, never raise it.
      await c.send(encodeRequest('RRQ', 'small.bin', 'octet', [['timeout', '5'], ['tsize', '0'], ['blksize', '1468'], ['windowsize', '4']]));
      const oack = await c.next();
      expect(decodePacket(oack.data)).toEqual({
        op: 'OACK',
        options: [['timeout', '5'], ['tsize', String(small.length)], ['blksize', '1468'], ['windowsize', '4']],
      });
      // The Pi's probe: ERROR "Early terminate" after the OACK is accepted quietly.
      await c.send(encodeError(0, 'Early terminate'), oack.from.port);
      await new Promise((r) => setTimeout(r, 100));
      expect(events.some((e) => e.type === 'transfer-abort' && e.message === 'Early terminate' && e.afterOack)).toBe(true);
      expect(await c.quiet()).toBe(true);
      await c.link.close();
    });

    it('a duplicated RRQ from the same client port is merged into one transfer', async () => {
      const c = await rawClient();
      const req = encodeRequest('RRQ', 'small.bin', 'octet');
      await c.send(req);
      await c.send(req);
      const a = await c.next();
      expect(await c.quiet(400)).toBe(true); // only one DATA 1 until the 1 s retransmit
      expect(decodePacket(a.data)).toMatchObject({ op: 'DATA', block: 1 });
      await c.send(encodeError(0, 'done'), a.from.port);
      await c.link.close();
    });
  });
});

/**
 * Fuzz: 10,000 random and mutated TFTP datagrams (seeded) at the request port and at live transfer
 * ports, from many client addresses. Afterwards the server must still answer a probe RRQ, live
 * transfers must never have exceeded the cap, every transfer port must be released, and the heap
 * after GC must be within 10% of its baseline.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { TftpServer } from '../../src/netboot/tftp-server.js';
import { staticFiles } from '../../src/netboot/generated-files.js';
import { encodeAck, encodeData, encodeError, encodeOack, encodeRequest, decodePacket } from '../../src/protocols/tftp/packet.js';
import { LossyDatagramNetwork, seededRandom } from '../../src/transports/fake/lossy-datagram-network.js';
import type { DatagramLink } from '../../src/transports/datagram-link.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('fuzzing the TFTP server', () => {
  it('survives 10,000 hostile datagrams, respects the cap and does not leak', async () => {
    const rnd = seededRandom(0xf00d);
    const int = (n: number) => Math.floor(rnd() * n);
    const clock = new ManualClock();
    const net = new LossyDatagramNetwork({ clock, seed: 5 });
    const CAP = 12;
    let sessionsOverCap = 0;
    const server = new TftpServer({
      network: net,
      clock,
      listen: { address: '10.0.0.1', port: 69 },
      generated: staticFiles({ 'boot.scr': new Uint8Array(3000).fill(7), 'big.img': new Uint8Array(200_000).fill(1), 'empty': new Uint8Array() }),
      maxTransfers: CAP,
      maxTransfersPerClient: 4,
      transferDeadlineMs: 20_000,
      onEvent: () => {
        if (server.activeTransfers > CAP) sessionsOverCap++;
      },
    });
    await server.start();

    // 24 attacker endpoints on 6 addresses; they learn transfer ports from what comes back.
    const attackers: DatagramLink[] = [];
    const knownPorts: number[] = [];
    for (let i = 0; i < 24; i++) {
      const l = await net.bind({ address: `10.0.1.${i % 6}`, port: 0 });
      l.onMessage((d) => {
        if (d.from.port !== 69 && knownPorts.length < 200) knownPorts.push(d.from.port);
      });
      attackers.push(l);
    }
    const names = ['boot.scr', 'big.img', 'empty', 'missing', '../etc/passwd', 'a'.repeat(600), ''];
    const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
    const valid = (): Uint8Array => {
      switch (int(7)) {
        case 0:
          return encodeRequest('RRQ', names[int(names.length)]!, ['octet', 'netascii', 'mail', 'OCTET', 'x'][int(5)]!, rnd() < 0.5 ? [] : [
            ['blksize', String(int(70_000))],
            ['windowsize', String(int(100))],
            ['tsize', rnd() < 0.8 ? '0' : 'abc'],
            ['timeout', String(int(300))],
          ]);
        case 1:
          return encodeRequest('WRQ', names[int(names.length)]!, 'octet');
        case 2:
          return encodeAck(int(65536));
        case 3:
          return encodeData(int(65536), randomBytes(int(600)));
        case 4:
          return encodeError(int(10), 'Early terminate');
        case 5:
          return encodeOack([['blksize', '512']]);
        default:
          return Uint8Array.of(0, int(256), int(256), int(256));
      }
    };
    const mutate = (b: Uint8Array): Uint8Array => {
      const out = Array.from(b);
      const edits = 1 + int(4);
      for (let e = 0; e < edits; e++) {
        const r = int(4);
        if (r === 0 && out.length) out[int(out.length)] = int(256);
        else if (r === 1) out.splice(int(out.length + 1), 0, int(256));
        else if (r === 2 && out.length) out.length = int(out.length);
        else if (r === 3 && out.length) out[int(out.length)] = 0;
      }
      return Uint8Array.from(out);
    };
    const flush = () => new Promise((r) => setImmediate(r));

    const blast = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const kind = int(3);
        const data = kind === 0 ? randomBytes(int(700)) : kind === 1 ? mutate(valid()) : valid();
        const toTransfer = knownPorts.length > 0 && rnd() < 0.4;
        const port = toTransfer ? knownPorts[int(knownPorts.length)]! : 69;
        await attackers[int(attackers.length)]!.send(data, { address: '10.0.0.1', port });
        if (i % 10 === 0) {
          clock.advance(int(400));
          await flush();
        }
        expect(server.activeTransfers).toBeLessThanOrEqual(CAP);
      }
    };
    const settle = async () => {
      // Let every transfer time out or finish (retries and the deadline are bounded).
      for (let i = 0; i < 200; i++) {
        clock.advance(500);
        await flush();
      }
    };

    await blast(1000); // warm-up: JIT, maps, buffers
    await settle();
    knownPorts.length = 0;
    const baseline = heapAfterGc();
    await blast(9000);
    await settle();
    expect(server.activeTransfers).toBe(0);
    expect(server.peakTransfers).toBeGreaterThan(1);
    expect(server.peakTransfers).toBeLessThanOrEqual(CAP);
    expect(sessionsOverCap).toBe(0);
    expect(net.openLinks).toBe(1 + attackers.length); // listen port + attackers: no transfer port leaked
    const after = heapAfterGc();
    expect(after, `heap ${baseline} → ${after}`).toBeLessThan(baseline * 1.1);

    // Probe: a well-formed RRQ still gets DATA 1 with the right content.
    const probe = await net.bind({ address: '10.0.2.1', port: 0 });
    let reply: Uint8Array | undefined;
    probe.onMessage((d) => (reply ??= d.data));
    await probe.send(encodeRequest('RRQ', 'boot.scr', 'octet'), { address: '10.0.0.1', port: 69 });
    clock.advance(5);
    await flush();
    clock.advance(5);
    const p = reply ? decodePacket(reply) : undefined;
    expect(p).toMatchObject({ op: 'DATA', block: 1 });
    expect(p?.op === 'DATA' && p.data.length).toBe(512);
    await server.close();
  }, 120_000);
});

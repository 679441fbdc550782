/**
 * Path traversal: every name here must be refused (ERROR 1 or 2, never a DATA byte), checked with
 * the real server over UDP on 127.0.0.1, including symlinks inside the root that point outside.
 * A control group of legitimate names (including an inside-the-root symlink) must be served.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRoot, validateTftpFilename } from '../../src/netboot/file-root.js';
import { TftpServer } from '../../src/netboot/tftp-server.js';
import { decodePacket, encodeRequest } from '../../src/protocols/tftp/packet.js';
import { UdpDatagramNetwork } from '../../src/transports/node/udp-datagram-link.js';
import type { Datagram } from '../../src/transports/datagram-link.js';

const network = new UdpDatagramNetwork();
let dir: string;
let server: TftpServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bk-tftp-trav-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'aa-bb-cc-dd-ee-ff'));
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  mkdirSync(join(dir, 'root-evil'));
  writeFileSync(join(dir, 'root-evil', 'x'), 'SECRET');
  writeFileSync(join(root, 'ok.txt'), 'ok');
  writeFileSync(join(root, 'sub', 'inner.txt'), 'inner');
  writeFileSync(join(root, 'aa-bb-cc-dd-ee-ff', 'ok.txt'), 'per-mac');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'abs-link'));
  symlinkSync('../secret.txt', join(root, 'rel-link'));
  symlinkSync('../../secret.txt', join(root, 'sub', 'deep-link'));
  symlinkSync(dir, join(root, 'dir-link'));
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync('../root-evil', join(root, 'prefix-link')); // same prefix as the root, outside it
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  symlinkSync('ok.txt', join(root, 'good-link')); // inside: allowed
  symlinkSync('/dev/zero', join(root, 'dev-link'));
  symlinkSync('dangling-target', join(root, 'dangling'));
  try {
    linkSync(join(dir, 'secret.txt'), join(root, 'hardlink')); // a hard link IS inside: served (documented)
  } catch {
    /* cross-device tmp: fine */
  }
  server = new TftpServer({
    network,
    listen: { address: '127.0.0.1', port: 0 },
    root: new FileRoot(root, { perClient: ['mac'] }),
    clientInfo: () => ({ mac: 'AA:BB:CC:DD:EE:FF' }),
  });
  await server.start();
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fetchName(name: string | Uint8Array): Promise<Datagram> {
  const link = await network.bind({ address: '127.0.0.1', port: 0 });
  const reply = new Promise<Datagram>((resolve, reject) => {
    link.onMessage(resolve);
    setTimeout(() => reject(new Error('no reply')), 3000);
  });
  const packet = typeof name === 'string' ? encodeRequest('RRQ', name, 'octet') : name;
  await link.send(packet, server.address);
  try {
    return await reply;
  } finally {
    await link.close();
  }
}

const latin1Request = (nameBytes: number[]) => Uint8Array.from([0, 1, ...nameBytes, 0, ...Buffer.from('octet'), 0]);

const refused: Array<string | Uint8Array> = [
  '../secret.txt',
  '../../../../etc/passwd',
  'sub/../../secret.txt',
  'sub/../ok.txt', // even a harmless '..' is refused before any join
  './ok.txt',
  '/../secret.txt',
  '/etc/passwd', // re-rooted to <root>/etc/passwd: not there
  '//etc/passwd',
  '\\..\\secret.txt',
  '..\\secret.txt',
  'C:\\Windows\\win.ini',
  'c:/secret.txt',
  'sub\\inner.txt',
  'ok.txt\u0001',
  'o\u001bk.txt',
  'ok\u007f.txt',
  'sub//inner.txt',
  'sub/',
  '',
  'CON',
  'nul.txt',
  'abs-link',
  'rel-link',
  'sub/deep-link',
  'dir-link/secret.txt',
  'etc-link/passwd',
  'etc-link/hostname',
  'prefix-link/x',
  'loop-a',
  'dev-link',
  'dangling',
  'sub', // a directory
  '.',
  '..',
  'x'.repeat(2000),
  latin1Request([0x2e, 0x2e, 0x2f, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x2e, 0x74, 0x78, 0x74]), // raw "../secret.txt"
  latin1Request([0xc0, 0xae, 0xc0, 0xae, 0x2f, 0x73]), // overlong UTF-8 "../": invalid UTF-8
  latin1Request([0x6f, 0x6b, 0xff, 0x2e]), // not UTF-8
  '%2e%2e/secret.txt', // no URL decoding: simply not found
];

describe('traversal suite', () => {
  it(`has at least 30 hostile names (${refused.length})`, () => {
    expect(refused.length).toBeGreaterThanOrEqual(30);
  });

  it.each(refused.map((n) => [typeof n === 'string' ? JSON.stringify(n.slice(0, 40)) : `bytes ${Buffer.from(n).toString('hex').slice(0, 40)}`, n]))(
    'refuses %s',
    async (_label, name) => {
      const d = await fetchName(name);
      const p = decodePacket(d.data);
      expect(p.op).toBe('ERROR');
      expect([1, 2]).toContain(p.op === 'ERROR' ? p.code : -1);
      expect(Buffer.from(d.data).includes(Buffer.from('SECRET'))).toBe(false);
    },
  );

  it.each([
    ['ok.txt', 'per-mac'], // per-client root (by MAC from the clientInfo lookup) wins
    ['/sub/inner.txt', 'inner'], // leading '/' is re-rooted
    ['sub/inner.txt', 'inner'],
    ['good-link', 'ok'], // a symlink staying inside the root is fine
  ])('serves %s', async (name, want) => {
    const d = await fetchName(name);
    const p = decodePacket(d.data);
    expect(p).toMatchObject({ op: 'DATA', block: 1 });
    expect(p.op === 'DATA' && Buffer.from(p.data).toString()).toBe(want);
  });

  it('validateTftpFilename explains refusals', () => {
    expect(validateTftpFilename('a/../b')).toEqual({ ok: false, reason: "'..' component" });
    expect(validateTftpFilename('/boot/Image')).toEqual({ ok: true, parts: ['boot', 'Image'] });
    expect(validateTftpFilename('x', false)).toEqual({ ok: false, reason: 'name is not valid UTF-8' });
  });
});

import { describe, expect, it } from 'vitest';

import {
  CONFIG_LENGTH,
  CONFIG_MAGIC,
  findConfigBlock,
  newNonce,
  patchConfigBlock,
  readConfigBlock,
} from '../../src/payload/config-block.js';

/** An image with random bytes around a version-1 block, as the C initialiser lays it out. */
function image(at = 1000, size = 4096): Uint8Array {
  const img = new Uint8Array(size);
  for (let i = 0; i < size; i++) img[i] = (i * 131 + 7) & 0xff;
  img.set(CONFIG_MAGIC, at);
  const v = new DataView(img.buffer);
  v.setUint16(at + 16, 1, true);
  v.setUint16(at + 18, CONFIG_LENGTH, true);
  img.fill(0, at + 20, at + CONFIG_LENGTH);
  v.setBigUint64(at + 64, 440n, true);
  v.setUint32(at + 72, 4, true);
  return img;
}

describe('patchConfigBlock', () => {
  it('fills the block and touches no byte outside it', () => {
    const img = image();
    const nonce = newNonce();
    const out = patchConfigBlock(img, { nonce, mac: '52:54:00:aa:bb:cc', ip: '10.0.0.2', peerIp: '255.255.255.255', peerPort: 5555, srcPort: 4444, gpioWaitMs: 3000, poweroff: true });
    expect(out).not.toBe(img);
    for (let i = 0; i < img.length; i++) if (i < 1000 || i >= 1000 + CONFIG_LENGTH) expect(out[i]).toBe(img[i]);
    expect(Buffer.from(out.subarray(1024, 1040))).toEqual(Buffer.from(nonce));
    const back = readConfigBlock(out);
    expect(back).toMatchObject({ mac: '52:54:00:aa:bb:cc', ip: '10.0.0.2', peerIp: '255.255.255.255', peerPort: 5555, srcPort: 4444, gpioWaitMs: 3000, poweroff: true, diskSignatureOffset: 440, diskSignatureLength: 4, flags: 3 });
    // IPv4 in network byte order, ports little-endian, at the documented offsets.
    expect([...out.subarray(1000 + 48, 1000 + 52)]).toEqual([10, 0, 0, 2]);
    expect(new DataView(out.buffer).getUint16(1000 + 56, true)).toBe(5555);
  });

  it('leaves the input untouched and repatches idempotently with a new nonce', () => {
    const img = image();
    const copy = new Uint8Array(img);
    const a = patchConfigBlock(img, { nonce: newNonce() });
    const n2 = newNonce();
    const b = patchConfigBlock(a, { nonce: n2 });
    expect(img).toEqual(copy);
    expect(Buffer.from(readConfigBlock(b).nonce)).toEqual(Buffer.from(n2));
  });

  it('refuses images without the magic, with two blocks, or with another version', () => {
    expect(() => findConfigBlock(new Uint8Array(512))).toThrow(/no boardkit config block/);
    const two = image(100, 8192);
    two.set(image(100, 4096).subarray(100, 100 + CONFIG_LENGTH), 5000);
    expect(() => findConfigBlock(two)).toThrow(/2 times/);
    const v2 = image();
    new DataView(v2.buffer).setUint16(1016, 2, true);
    expect(() => patchConfigBlock(v2, { nonce: newNonce() })).toThrow(/version 2/);
    const truncated = image(4096 - CONFIG_LENGTH, 4096).subarray(0, 4096 - 40);
    expect(() => findConfigBlock(truncated)).toThrow(/truncated/);
  });

  it('rejects malformed values instead of writing garbage', () => {
    expect(() => patchConfigBlock(image(), { nonce: new Uint8Array(8) })).toThrow(/16 bytes/);
    expect(() => patchConfigBlock(image(), { nonce: newNonce(), ip: '10.0.0.256' })).toThrow(/IPv4/);
    expect(() => patchConfigBlock(image(), { nonce: newNonce(), mac: '52:54:00' })).toThrow(/MAC/);
    expect(() => patchConfigBlock(image(), { nonce: newNonce(), peerPort: 70000 })).toThrow(/16-bit/);
  });
});

describe('sd route (offset 76)', () => {
  it('writes 1 = sdhost, 2 = sdhci (boot/include/bk.h BK_SD_ROUTE_*), 0 when not asked, and reads it back', () => {
    const nonce = newNonce();
    const at = (img: Uint8Array) => new DataView(img.buffer).getUint32(1000 + 76, true);
    expect(at(patchConfigBlock(image(), { nonce }))).toBe(0);
    expect(readConfigBlock(patchConfigBlock(image(), { nonce })).sdRoute).toBeUndefined();
    const host = patchConfigBlock(image(), { nonce, sdRoute: 'sdhost' });
    const hci = patchConfigBlock(image(), { nonce, sdRoute: 'sdhci' });
    expect([at(host), at(hci)]).toEqual([1, 2]);
    expect([readConfigBlock(host).sdRoute, readConfigBlock(hci).sdRoute]).toEqual(['sdhost', 'sdhci']);
    expect(() => patchConfigBlock(image(), { nonce, sdRoute: 'emmc' as 'sdhost' })).toThrow(/sdRoute 'emmc' is unknown/);
  });
});

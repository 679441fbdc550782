import { describe, expect, it } from 'vitest';
import { parseChardevFilename } from '../../src/emulator/console-endpoints.js';
import { nextPowerOfTwo } from '../../src/emulator/drive-files.js';
import { findNodes, parseDts, readReg, stringsOf } from '../../src/emulator/dts.js';
import { decodePpm, pixelAt } from '../../src/core/ppm.js';

describe('decodePpm', () => {
  it('reads a P6 with a comment in the header (netpbm ppm(5))', () => {
    const header = Buffer.from('P6\n# made by hand\n2 1\n255\n', 'latin1');
    const img = decodePpm(new Uint8Array(Buffer.concat([header, Buffer.from([255, 0, 0, 0, 0, 255])])));
    expect(img).toMatchObject({ width: 2, height: 1, maxval: 255 });
    expect(pixelAt(img, 0, 0)).toEqual([255, 0, 0]);
    expect(pixelAt(img, 1, 0)).toEqual([0, 0, 255]);
  });
  it('scales 16-bit samples (maxval >= 256, big-endian)', () => {
    const header = Buffer.from('P6 1 1 65535\n', 'latin1');
    const img = decodePpm(new Uint8Array(Buffer.concat([header, Buffer.from([0xff, 0xff, 0x80, 0x00, 0, 0])])));
    expect(pixelAt(img, 0, 0)).toEqual([255, 128, 0]);
  });
  it('rejects truncated data and other formats', () => {
    expect(() => decodePpm(new Uint8Array(Buffer.from('P6\n2 2\n255\n\0\0\0', 'latin1')))).toThrow(/expected 12/);
    expect(() => decodePpm(new Uint8Array(Buffer.from('P3\n1 1\n255\n0 0 0\n', 'latin1')))).toThrow(/P6/);
  });
});

describe('parseDts', () => {
  const dts = `/dts-v1/;

/ {
	#address-cells = <0x02>;
	#size-cells = <0x02>;
	compatible = "riscv-virtio";

	chosen {
		stdout-path = "/soc/serial@10000000";
	};

	soc {
		#address-cells = <0x02>;
		#size-cells = <0x02>;
		ranges;

		uart0: serial@10000000 {
			interrupts = <0x0a>;
			reg = <0x00 0x10000000 0x00 0x100>;
			compatible = "ns16550a";
			local-mac-address = [52 54 00 12 34 56];
		};

		bus@0 {
			#address-cells = <0x01>;
			#size-cells = <0x01>;
			gpio@1000 {
				reg = <0x1000 0x40 0x2000 0x40>;
				compatible = "sifive,gpio0", "sifive,gpio1";
			};
		};
	};
};
`;
  it('finds nodes by name@addr and reads reg with the parent cell sizes', () => {
    const root = parseDts(dts);
    const [uart] = findNodes(root, 'serial@10000000');
    expect(uart?.path).toBe('/soc/serial@10000000');
    expect(readReg(uart!)).toEqual([{ address: 0x10000000n, size: 0x100n }]);
    expect(uart!.properties.get('local-mac-address')).toEqual([{ kind: 'bytes', bytes: [0x52, 0x54, 0, 0x12, 0x34, 0x56] }]);
    const [gpio] = findNodes(root, 'gpio');
    expect(readReg(gpio!)).toEqual([
      { address: 0x1000n, size: 0x40n },
      { address: 0x2000n, size: 0x40n },
    ]);
    expect(stringsOf(gpio!, 'compatible')).toEqual(['sifive,gpio0', 'sifive,gpio1']);
    expect(root.properties.get('compatible')).toEqual([{ kind: 'string', value: 'riscv-virtio' }]);
  });
});

describe('small helpers', () => {
  it('nextPowerOfTwo', () => {
    expect(nextPowerOfTwo(1)).toBe(1);
    expect(nextPowerOfTwo(65 * 2 ** 20)).toBe(128 * 2 ** 20);
    expect(nextPowerOfTwo(64 * 2 ** 20)).toBe(64 * 2 ** 20);
    expect(() => nextPowerOfTwo(0)).toThrow(RangeError);
  });
  it('parses QEMU query-chardev filenames (QEMU 7.2 forms)', () => {
    expect(parseChardevFilename('pty:/dev/pts/3')).toEqual({ kind: 'pty', path: '/dev/pts/3' });
    expect(parseChardevFilename('disconnected:unix:/tmp/a/console0.sock,server=on')).toEqual({ kind: 'unix', path: '/tmp/a/console0.sock' });
    expect(parseChardevFilename('disconnected:tcp:127.0.0.1:43811,server=on')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 43811 });
    expect(parseChardevFilename('stdio')).toBeUndefined();
  });
});

describe('PPM round trip (core/ppm.ts)', () => {
  it('encodePpm writes what decodePpm reads back', async () => {
    const { decodePpm, encodePpm } = await import('../../src/core/ppm.js');
    const rgb = Uint8Array.from({ length: 3 * 4 * 3 }, (_, i) => (i * 37) & 0xff);
    const back = decodePpm(encodePpm({ width: 4, height: 3, rgb }));
    expect([back.width, back.height, back.maxval]).toEqual([4, 3, 255]);
    expect(back.rgb).toEqual(rgb);
  });
});

/**
 * `run --netboot --tftp-windowsize/--tftp-timeout`: the values U-Boot is given are checked before
 * anything starts (a usage error, exit 2), and 0 is a value like any other, not "unset": RFC 7440
 * §3 windowsize 1..65535, U-Boot's tftptimeout floor of 1000 ms, RFC 2348 blksize 8..65464.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/loader.js';
import { checkUbootTftpSettings } from '../../src/netboot/uboot-script.js';
import { runNetboot, type NetbootEnvironment } from '../../src/workflows/netboot-run.js';
import { ROOT, nodeRunEnvironment } from '../helpers/node-env.js';

const dir = mkdtempSync(join(tmpdir(), 'bk-tftp-settings-'));
const kernel = join(dir, 'payload.bin');
writeFileSync(kernel, new Uint8Array(64));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('U-Boot TFTP settings', () => {
  it('accepts the ranges and refuses what U-Boot or the RFCs do not allow, naming the value', () => {
    expect(() => checkUbootTftpSettings({ windowsize: 1, timeoutMs: 1000, blksize: 8 })).not.toThrow();
    expect(() => checkUbootTftpSettings({ windowsize: 65535, blksize: 65464 })).not.toThrow();
    expect(() => checkUbootTftpSettings({})).not.toThrow();
    expect(() => checkUbootTftpSettings({ windowsize: 0 })).toThrow(/windowsize 0 .*1\.\.65535/);
    expect(() => checkUbootTftpSettings({ windowsize: 65536 })).toThrow(/windowsize 65536/);
    expect(() => checkUbootTftpSettings({ windowsize: 2.5 })).toThrow(/windowsize 2\.5/);
    expect(() => checkUbootTftpSettings({ timeoutMs: 0 })).toThrow(/timeout 0 ms .*1000 ms/);
    expect(() => checkUbootTftpSettings({ timeoutMs: 999 })).toThrow(/timeout 999 ms/);
    expect(() => checkUbootTftpSettings({ blksize: 7 })).toThrow(/blksize 7/);
  });

  it('runNetboot refuses windowsize 0 as a usage error before it opens the lab link', async () => {
    const registry = await loadBoards([join(ROOT, 'boards')]);
    let opened = false;
    const env: NetbootEnvironment = {
      ...nodeRunEnvironment(),
      openQemuFrameLink: () => {
        opened = true;
        throw new Error('the lab link must not be opened');
      },
    };
    const err = await runNetboot(registry, { board: 'qemu-riscv64-virt', kernel, windowsize: 0 }, env).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'usage', message: expect.stringMatching(/windowsize 0/) });
    expect(opened).toBe(false);
  });

  it.each([
    [['--tftp-windowsize', '0'], /windowsize 0/],
    [['--tftp-timeout', '999'], /timeout 999 ms/],
    [['--tftp-timeout', '0'], /timeout 0 ms/],
  ])('boardkit run --netboot %j exits 2 at once, naming the value', async (args, message) => {
    const env = nodeRunEnvironment();
    const started = Date.now();
    const r = await env.spawner.run(process.execPath, [join(ROOT, 'bin', 'boardkit.js'), 'run', '-b', 'qemu-riscv64-virt', '--netboot', '-k', kernel, '--timeout', '20', ...args], { timeoutMs: 60_000 });
    expect(r.stderr.toString()).toMatch(message);
    expect(r.exitCode).toBe(2);
    expect(Date.now() - started).toBeLessThan(15_000); // no QEMU was started
  }, 60_000);
});

/**
 * `boardkit netboot serve` end to end: the built CLI in a child process on 127.0.0.1 (ephemeral
 * port, learned from the JSON `listening` event), fetched with curl, stopped with SIGINT by PID.
 * Needs `npm run build` (npm test does it); skips with that reason otherwise.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/workflows/netboot-serve.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';

const bin = resolve('bin/boardkit.js');
const built = existsSync(resolve('dist/cli/commands/netboot.js'));
const spawner = new NodeSpawner();

describe('boardkit netboot serve', () => {
  it('parses listen addresses', () => {
    expect(parseListen('127.0.0.1:16969')).toEqual({ address: '127.0.0.1', port: 16969 });
    expect(parseListen('[::1]:69')).toEqual({ address: '::1', port: 69 });
    expect(parseListen(':7000')).toEqual({ address: '0.0.0.0', port: 7000 });
    expect(parseListen('10.0.0.1')).toEqual({ address: '10.0.0.1', port: 69 });
    expect(() => parseListen('1.2.3.4:99999')).toThrow(/not a listen address/);
  });

  it.skipIf(!built).each([
    ['auto', 'native-pump'],
    ['typescript', 'typescript'],
  ])('serves files, reports JSON events, stops cleanly on SIGINT (--tftp-engine %s; needs npm run build)', async (engine, expected) => {
    const dir = mkdtempSync(join(tmpdir(), 'bk-tftp-cli-'));
    writeFileSync(join(dir, 'kernel.img'), 'KERNEL v1');
    const child = await spawner.spawn(process.execPath, [bin, 'netboot', 'serve', '--root', dir, '--listen', '127.0.0.1:0', '--json', '--tftp-engine', engine]);
    try {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      const deadline = Date.now() + 10_000;
      while (!out.includes('"listening"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const listening = JSON.parse(out.split('\n').find((l) => l.includes('"listening"'))!);
      expect(listening.engine).toBe(expected);
      const url = `tftp://127.0.0.1:${listening.address.port}/kernel.img`;
      let r = await spawner.run('curl', ['-sS', '--max-time', '10', url], { timeoutMs: 10_000 });
      expect(r.stdout.toString()).toBe('KERNEL v1');
      // Rebuilt file: served on the next request without a restart.
      writeFileSync(join(dir, 'kernel.img'), 'KERNEL v2 (rebuilt)');
      r = await spawner.run('curl', ['-sS', '--max-time', '10', url], { timeoutMs: 10_000 });
      expect(r.stdout.toString()).toBe('KERNEL v2 (rebuilt)');
      // curl is done once it has sent the final ACK; the server knows only when it has read it.
      const dones = () => out.split('\n').filter((l) => l.includes('"transfer-done"')).length;
      while (dones() < 2 && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const exit = await child.exited;
      expect(exit.exitCode).toBe(0);
      const events = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      expect(events.filter((e) => e.type === 'transfer-done')).toHaveLength(2);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!built)('--tftp-engine native without the addon is refused, saying why (exit 3)', async () => {
    const r = await spawner.run(process.execPath, [bin, 'netboot', 'serve', '--root', tmpdir(), '--listen', '127.0.0.1:0', '--tftp-engine', 'native'], { timeoutMs: 10_000, env: { BOARDKIT_NATIVE: '0' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.toString()).toMatch(/native TFTP pump is unavailable: disabled by BOARDKIT_NATIVE=0/);
    expect(r.stderr.toString()).toMatch(/--tftp-engine auto/);
  });

  it.skipIf(!built)('refuses DHCP without a lab network to serve it on, with a hint', async () => {
    const r = await spawner.run(process.execPath, [bin, 'netboot', 'serve', '--root', tmpdir(), '--dhcp', 'proxy'], { timeoutMs: 10_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toMatch(/--dhcp proxy needs the lab network/);
    expect(r.stderr.toString()).toMatch(/--interface|--qemu-link/);
  });
});

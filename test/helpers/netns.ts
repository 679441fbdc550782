/**
 * Helpers for tests that build their own network namespaces: why they must skip here, an `ip`
 * runner that fails the test on error, and a Spawner that starts QEMU (only QEMU) inside a
 * namespace so the guest's tap is the namespace's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Spawner } from '../../src/transports/spawner.js';
import { ROOT } from './node-env.js';

/** Why namespace tests cannot run here (root, /dev/net/tun, the built CLI), or undefined. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, tap devices)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (!existsSync(join(ROOT, 'dist', 'cli', 'commands', 'netboot.js'))) return 'needs `npm run build` (the server runs as the built CLI inside the namespace)';
  return undefined;
}

/** `ip ARGS...`, expected to succeed (the failure message carries ip's stderr). */
export function ipRunner(spawner: Spawner): (...args: string[]) => Promise<void> {
  return async (...args) => {
    const r = await spawner.run('ip', args, { timeoutMs: 10_000 });
    expect(r.exitCode, `ip ${args.join(' ')}: ${r.stderr.toString()}`).toBe(0);
  };
}

/** Runs QEMU (and only QEMU) inside namespace `ns`; everything else as usual. */
export function qemuInNamespace(inner: Spawner, ns: string): Spawner {
  const wrap = (tool: string, args: readonly string[]): [string, string[]] => (tool.startsWith('qemu-system-') ? ['ip', ['netns', 'exec', ns, tool, ...args]] : [tool, [...args]]);
  return {
    run: (tool, args, options) => inner.run(...wrap(tool, args), options),
    spawn: (tool, args, options) => inner.spawn(...wrap(tool, args), options),
    which: (tool) => inner.which(tool),
  };
}

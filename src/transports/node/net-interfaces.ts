/**
 * The interfaces of this host (or of the network namespace we run in) as plain facts, from
 * iproute2's JSON output (`ip -j -4 addr show`, `ip -j -4 route show default`). Not
 * os.networkInterfaces(): libuv lists only interfaces that are UP and RUNNING, and a lab tap has
 * no carrier until QEMU attaches to it, which is after our server must be listening.
 */
import { BoardkitError } from '../../core/errors.js';
import type { InterfaceFacts } from '../net-interfaces.js';
import type { Spawner } from '../spawner.js';

interface IpAddr {
  ifname: string;
  flags?: string[];
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

function maskOf(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

async function ipJson<T>(spawner: Spawner, args: string[]): Promise<T> {
  const r = await spawner.run('ip', ['-j', ...args], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new BoardkitError('E_IP_TOOL', 'environment', `ip ${args.join(' ')} failed: ${r.stderr.toString().trim()}`, { hint: 'install iproute2' });
  return JSON.parse(r.stdout.toString() || '[]') as T;
}

export async function readInterfaceFacts(spawner: Spawner): Promise<InterfaceFacts[]> {
  const addrs = await ipJson<IpAddr[]>(spawner, ['-4', 'addr', 'show']);
  const defaults = await ipJson<Array<{ dev?: string }>>(spawner, ['-4', 'route', 'show', 'default']);
  const withDefault = new Set(defaults.flatMap((r) => (r.dev ? [r.dev] : [])));
  return addrs.map((a) => ({
    name: a.ifname,
    ipv4: (a.addr_info ?? []).filter((i) => i.family === 'inet').map((i) => ({ address: i.local, netmask: maskOf(i.prefixlen) })),
    loopback: (a.flags ?? []).includes('LOOPBACK'),
    defaultRoute: withDefault.has(a.ifname),
  }));
}

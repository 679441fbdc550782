/**
 * The host's (or this network namespace's) interfaces as plain facts: IPv4 addresses from the
 * kernel (os.networkInterfaces) and which interface carries the IPv4 default route
 * (/proc/net/route: Destination 00000000 with Mask 00000000, RTF_UP).
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';

export interface InterfaceFacts {
  name: string;
  /** IPv4 addresses with their masks. */
  ipv4: Array<{ address: string; netmask: string }>;
  loopback: boolean;
  /** This interface carries an IPv4 default route. */
  defaultRoute: boolean;
}

const RTF_UP = 0x1;

export async function readInterfaceFacts(): Promise<InterfaceFacts[]> {
  const routes = await readFile('/proc/net/route', 'utf8').catch(() => '');
  const withDefault = new Set<string>();
  for (const line of routes.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    if (f[1] === '00000000' && f[7] === '00000000' && (parseInt(f[3]!, 16) & RTF_UP) !== 0) withDefault.add(f[0]!);
  }
  return Object.entries(networkInterfaces()).map(([name, addrs]) => ({
    name,
    ipv4: (addrs ?? []).filter((a) => a.family === 'IPv4').map((a) => ({ address: a.address, netmask: a.netmask })),
    loopback: (addrs ?? []).some((a) => a.internal),
    defaultRoute: withDefault.has(name),
  }));
}

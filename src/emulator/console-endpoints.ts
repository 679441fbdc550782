import { BoardkitError } from '../core/errors.js';
import type { ConsoleEndpoint } from './qemu-spec.js';

/**
 * Console addresses as QEMU reports them in QMP `query-chardev` (chardev labels `con0..`), so a
 * pty path or a kernel-chosen TCP port (port=0) is known exactly. Filename forms seen on QEMU 7.2:
 * `pty:/dev/pts/3`, `disconnected:unix:/tmp/x/console0.sock,server=on`,
 * `disconnected:tcp:127.0.0.1:43811,server=on` (or `tcp:...` once a client is connected).
 */
export function consoleEndpointsFrom(chardevs: ReadonlyArray<{ label: string; filename: string }>, count: number): ConsoleEndpoint[] {
  const out: ConsoleEndpoint[] = [];
  for (let i = 0; i < count; i++) {
    const info = chardevs.find((c) => c.label === `con${i}`);
    const ep = info ? parseChardevFilename(info.filename) : undefined;
    if (!ep) {
      throw new BoardkitError('E_QEMU_CONSOLE', 'infrastructure', `QEMU did not report console chardev con${i}`, { details: { chardevs } });
    }
    out.push(ep);
  }
  return out;
}

export function parseChardevFilename(filename: string): ConsoleEndpoint | undefined {
  const f = filename.replace(/^disconnected:/, '');
  if (f.startsWith('pty:')) return { kind: 'pty', path: f.slice(4) };
  const unix = /^unix:(.*?)(,server=on)?(,|$)/.exec(f);
  if (unix?.[1]) return { kind: 'unix', path: unix[1] };
  const tcp = /^tcp:(.*):(\d+)(,server=on)?(<=>.*)?(,|$)/.exec(f);
  if (tcp?.[1] && tcp[2]) return { kind: 'tcp', host: tcp[1], port: Number(tcp[2]) };
  return undefined;
}

export function describeEndpoint(ep: ConsoleEndpoint): string {
  return ep.kind === 'tcp' ? `${ep.host}:${ep.port}` : ep.path;
}

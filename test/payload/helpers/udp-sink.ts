/**
 * Test-only receiver for QEMU `-netdev dgram` (each guest frame = one UDP datagram to P2). Tests
 * may use node:dgram directly; the library's FrameLink for this lives in src/transports/node.
 */
import dgram from 'node:dgram';

export interface UdpSink {
  port: number;
  frames: Uint8Array[];
  close(): Promise<void>;
}

export async function openUdpSink(): Promise<UdpSink> {
  const sock = dgram.createSocket('udp4');
  const frames: Uint8Array[] = [];
  sock.on('message', (m) => frames.push(new Uint8Array(m)));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, frames, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

/** A loopback UDP port nobody is bound to right now (for QEMU's local end). */
export async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const port = sock.address().port;
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

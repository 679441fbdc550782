/**
 * Collects every guest frame from QEMU `-netdev dgram` through the transports' FrameLink
 * (src/transports/node/qemu-dgram-frame-link.ts): each guest frame is one datagram to hostPort.
 */
import { openQemuDgramFrameLink } from '../../../src/transports/node/qemu-dgram-frame-link.js';

export interface UdpSink {
  /** QEMU's remote.port (ours). */
  port: number;
  /** QEMU's local.port. */
  guestPort: number;
  frames: Uint8Array[];
  close(): Promise<void>;
}

export async function openUdpSink(): Promise<UdpSink> {
  const link = await openQemuDgramFrameLink();
  const frames: Uint8Array[] = [];
  link.onFrame((f) => frames.push(new Uint8Array(f))); // copy: the link may hand out a view
  return { port: link.hostPort, guestPort: link.guestPort, frames, close: () => link.close() };
}

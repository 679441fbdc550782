/**
 * A FrameLink over QEMU's `-netdev dgram` (QEMU ≥ 7.2): every guest Ethernet frame is one UDP
 * datagram between two loopback ports. No root, no tap: the guest NIC is wired to this process.
 *
 * We bind `hostPort` on 127.0.0.1 (QEMU's `remote`), and send to `guestPort` (QEMU's `local`):
 * `-netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=<guestPort>,
 *  remote.type=inet,remote.host=127.0.0.1,remote.port=<hostPort>`.
 *
 * Lifecycle: `openQemuDgramFrameLink` binds → `close()` once. Datagrams from any address other than
 * QEMU's port are dropped (another local process must not inject frames into the guest's link).
 */
import { createSocket, type Socket } from 'node:dgram';
import { BoardkitError } from '../../core/errors.js';
import type { FrameLink } from '../frame-link.js';

const LOOPBACK = '127.0.0.1';

export interface QemuDgramFrameLinkOptions {
  /** Our port (QEMU's `remote.port`). 0 picks a free one. */
  hostPort?: number;
  /** QEMU's `local.port`, where we send frames. 0 picks a free one (probed, then released). */
  guestPort?: number;
}

export class QemuDgramFrameLink implements FrameLink {
  private handler: ((frame: Uint8Array) => void) | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly hostPort: number,
    readonly guestPort: number,
  ) {
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== LOOPBACK || rinfo.port !== this.guestPort) return;
      this.handler?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    });
    // A send error (e.g. ECONNREFUSED bounced from a not-yet-started QEMU) must not crash the process.
    socket.on('error', () => {});
  }

  /** The `-netdev` argument for QEMU, with the given netdev id. */
  netdevArg(id = 'n0'): string {
    return (
      `dgram,id=${id},local.type=inet,local.host=${LOOPBACK},local.port=${this.guestPort},` +
      `remote.type=inet,remote.host=${LOOPBACK},remote.port=${this.hostPort}`
    );
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.handler = handler;
  }

  send(frame: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new BoardkitError('E_LINK_CLOSED', 'internal', 'QEMU dgram frame link is closed'));
    return new Promise((resolve) => {
      // Frames to a guest that is not listening yet are lost, as on a cable: never reject for that.
      this.socket.send(frame, this.guestPort, LOOPBACK, () => resolve());
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

async function bindSocket(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, LOOPBACK, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/** Binds the host side. Rejects with an infrastructure error when the port is taken. */
export async function openQemuDgramFrameLink(options: QemuDgramFrameLinkOptions = {}): Promise<QemuDgramFrameLink> {
  let socket: Socket;
  try {
    socket = await bindSocket(options.hostPort ?? 0);
  } catch (cause) {
    throw new BoardkitError('E_PORT_IN_USE', 'infrastructure', `cannot bind UDP ${LOOPBACK}:${options.hostPort ?? 0} for the QEMU dgram link`, {
      cause,
      hint: 'pick another port, or let boardkit choose one (port 0)',
    });
  }
  let guestPort = options.guestPort ?? 0;
  if (guestPort === 0) {
    // Probe a free port for QEMU to bind; a small race remains until QEMU binds it.
    const probe = await bindSocket(0);
    guestPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
  return new QemuDgramFrameLink(socket, socket.address().port, guestPort);
}

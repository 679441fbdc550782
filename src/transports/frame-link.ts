/**
 * A raw Ethernet frame link: QEMU `-netdev dgram|stream` (each frame one datagram / length-prefixed
 * record), an AF_PACKET helper on a lab NIC, or a fake. Frames are complete Ethernet II frames
 * without FCS.
 *
 * Lifecycle: opened by its factory → `close()` once.
 */
export interface FrameLink {
  send(frame: Uint8Array): Promise<void>;
  onFrame(handler: (frame: Uint8Array) => void): void;
  close(): Promise<void>;
}

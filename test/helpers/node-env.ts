import { join, resolve } from 'node:path';
import { defaultCacheDir } from '../../src/core/cache-dir.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';
import { openNodeSerialLink } from '../../src/transports/node/open-serial-link.js';
import { openQemuDgramFrameLink } from '../../src/transports/node/qemu-dgram-frame-link.js';
import { connectQmpSocket } from '../../src/transports/node/qmp-socket.js';
import type { NetbootEnvironment } from '../../src/workflows/netboot-run.js';

/** The repository root (boards/, firmware-manifests/, bin/). */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The real host edges, as the CLI's composition root injects them into the run workflows. */
export function nodeRunEnvironment(): NetbootEnvironment & { spawner: NodeSpawner } {
  return {
    spawner: new NodeSpawner(),
    connectQmp: connectQmpSocket,
    openLink: openNodeSerialLink,
    openQemuFrameLink: () => openQemuDgramFrameLink(),
    cacheDir: defaultCacheDir(),
    manifestDir: join(ROOT, 'firmware-manifests'),
  };
}

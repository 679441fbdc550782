/**
 * In-memory files generated per request (e.g. a `boot.scr` or `pxelinux.cfg/01-<mac>` made for one
 * client). A provider is asked first, with the client and the validated name; `undefined` means
 * "not mine" and the file root is tried next. Providers must not keep per-request state.
 */
import type { BlockSource } from '../protocols/tftp/sender.js';
import type { ClientInfo } from './file-root.js';

export type GeneratedFileProvider = (client: ClientInfo, name: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** A BlockSource over bytes already in memory (`bytes` lets a bulk sender read them directly). */
export interface MemorySource extends BlockSource {
  readonly bytes: Uint8Array;
}

export function memorySource(bytes: Uint8Array): MemorySource {
  return {
    bytes,
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

/** A provider serving a fixed map of names (leading `/` ignored), handy for tests and small setups. */
export function staticFiles(files: Record<string, Uint8Array | string>): GeneratedFileProvider {
  const map = new Map<string, Uint8Array>();
  for (const [name, content] of Object.entries(files)) {
    map.set(name.replace(/^\/+/, ''), typeof content === 'string' ? new TextEncoder().encode(content) : content);
  }
  return (_client, name) => map.get(name.replace(/^\/+/, ''));
}

/** Tries providers in order; the first that returns bytes wins. */
export function firstOf(...providers: GeneratedFileProvider[]): GeneratedFileProvider {
  return async (client, name) => {
    for (const p of providers) {
      const r = await p(client, name);
      if (r !== undefined) return r;
    }
    return undefined;
  };
}

import { connect, type Socket } from 'node:net';

/**
 * A deliberately minimal console reader for these tests (the real console engine lives in
 * `console/`): connects to QEMU's console socket and accumulates raw bytes as latin1 text.
 */
export interface RawConsole {
  text(): string;
  waitFor(needle: string | RegExp, timeoutMs: number): Promise<void>;
  close(): void;
}

export async function openRawConsole(target: string | { host: string; port: number }): Promise<RawConsole> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = typeof target === 'string' ? connect(target) : connect(target.port, target.host);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  let buf = '';
  const waiters = new Set<() => void>();
  socket.on('data', (b: Buffer) => {
    buf += b.toString('latin1');
    for (const w of waiters) w();
  });
  socket.on('error', () => {});
  const has = (n: string | RegExp) => (typeof n === 'string' ? buf.includes(n) : n.test(buf));
  return {
    text: () => buf,
    waitFor(needle, timeoutMs) {
      if (has(needle)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!has(needle)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`console: no ${String(needle)} within ${timeoutMs} ms; got:\n${buf.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () => socket.destroy(),
  };
}

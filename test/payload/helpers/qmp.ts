/** Test-only QMP client over a unix socket (node:net), until the emulator room provides one. */
import net from 'node:net';

export interface QmpClient {
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
  events: Array<{ event: string; data?: unknown }>;
  waitEvent(name: string, timeoutMs: number): Promise<void>;
  close(): void;
}

export async function connectQmp(path: string, timeoutMs = 10_000): Promise<QmpClient> {
  const deadline = Date.now() + timeoutMs;
  let sock: net.Socket | undefined;
  while (!sock) {
    try {
      sock = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(path, () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const s = sock;
  const events: QmpClient['events'] = [];
  const pending: Array<(msg: Record<string, unknown>) => void> = [];
  const eventWaiters: Array<() => void> = [];
  let buf = '';
  let greeted: () => void = () => {};
  const greeting = new Promise<void>((r) => (greeted = r));
  s.on('data', (d) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ('QMP' in msg) greeted();
      else if ('event' in msg) {
        events.push({ event: String(msg.event), data: msg.data });
        for (const w of eventWaiters.splice(0)) w();
      } else pending.shift()?.(msg);
    }
  });
  await greeting;
  const execute = (command: string, args?: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      pending.push((msg) => ('error' in msg ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.return)));
      s.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  await execute('qmp_capabilities');
  return {
    execute,
    events,
    async waitEvent(name, ms) {
      const end = Date.now() + ms;
      while (!events.some((e) => e.event === name)) {
        const left = end - Date.now();
        if (left <= 0) throw new Error(`no QMP ${name} event within ${ms} ms (saw ${events.map((e) => e.event).join(', ') || 'none'})`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          eventWaiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    close: () => s.destroy(),
  };
}

import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { signalsEndThisCommand } from '../interrupt.js';

interface ServeArgs extends GlobalArgs {
  root?: string;
  listen: string;
  'blksize-max'?: number;
  'path-mtu'?: number;
  'windowsize-max'?: number;
  'max-transfers'?: number;
  'max-per-client'?: number;
  'per-client'?: Array<'mac' | 'ip' | 'serial'>;
  'upload-dir'?: string;
  dhcp: 'off' | 'proxy' | 'full' | 'server';
  force?: boolean;
  pool?: string;
  board?: string;
  payload?: string;
  interface?: string;
  'qemu-link'?: string;
  clients?: string;
  'tftp-engine': 'auto' | 'native' | 'typescript';
}

const serve: CommandModule<GlobalArgs, ServeArgs> = {
  command: 'serve',
  describe: 'Serve TFTP (a directory and/or a board\'s generated boot files), optionally with DHCP, until Ctrl-C',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('root', { type: 'string', describe: 'Directory to serve (confined: no symlinks out, no ..); optional with --board/--payload' })
      .option('listen', { type: 'string', default: '0.0.0.0:69', describe: 'ADDR[:PORT]; ports < 1024 need root or CAP_NET_BIND_SERVICE' })
      .option('blksize-max', { type: 'number', describe: 'Largest blksize granted (8..65464; also capped by --path-mtu − 32)' })
      .option('path-mtu', { type: 'number', default: 1500, describe: 'Path MTU to the clients; blksize stays ≤ MTU − 32 (no IP fragments)' })
      .option('windowsize-max', { type: 'number', describe: 'Largest RFC 7440 windowsize granted (default 64)' })
      .option('max-transfers', { type: 'number', describe: 'Concurrent transfers overall (default 128)' })
      .option('max-per-client', { type: 'number', describe: 'Concurrent transfers per client IP (default 16)' })
      .option('per-client', { type: 'string', array: true, choices: ['mac', 'ip', 'serial'], describe: 'Try <root>/<key>/<file> first (mac needs --clients)' })
      .option('upload-dir', { type: 'string', describe: 'Enable WRQ into this separate directory (never overwrites)' })
      .option('dhcp', { choices: ['off', 'proxy', 'full', 'server'] as const, default: 'off' as const, describe: 'DHCP beside TFTP: full (we hand out addresses; server is an alias) or proxy (boot info only); needs --interface or --qemu-link' })
      .option('force', { type: 'boolean', describe: 'Serve DHCP on --interface even with a default route or other NICs present' })
      .option('pool', { type: 'string', describe: 'Full DHCP range FIRST-LAST (default: upper half of the interface subnet)' })
      .option('board', { type: 'string', describe: 'Serve this board\'s boot files (U-Boot script or PXE boot file) around --payload' })
      .option('payload', { type: 'string', describe: 'Payload file or `payload build` directory (with --clients: one sub-directory per board)' })
      .option('interface', { type: 'string', describe: 'Lab NIC (kernel sockets): run inside a network namespace where it is the only NIC' })
      .option('qemu-link', { type: 'string', describe: 'HOSTPORT:GUESTPORT: serve a QEMU -netdev dgram link through the userspace stack (no root)' })
      .option('clients', { type: 'string', describe: 'MAC=board[,MAC=board]: per-client boot files and DHCP host entries' })
      .option('tftp-engine', {
        choices: ['auto', 'native', 'typescript'] as const,
        default: 'auto' as const,
        describe: 'Who sends the DATA of reads on kernel UDP: the native pump (a C addon, built by `npm run build`; auto uses it when built) or the TypeScript engine',
      })
      .example(
        examples([
          ['$0 netboot serve --root ./tftp --listen 127.0.0.1:16969', 'Plain TFTP on a high port; a rebuilt file is served on the next request'],
          ['$0 netboot serve --root ./tftp --listen 192.168.7.1 \\\n    --blksize-max 1468 --json', 'On a lab NIC, events as JSON lines'],
          ['$0 payload build -b qemu-riscv64-virt', 'Build the reference payload, then serve it with DHCP and boot files'],
          ['ip netns exec lab $0 netboot serve --dhcp full --interface tap0 \\\n    -b qemu-riscv64-virt --payload out/payload-qemu-riscv64-virt', 'DHCP+TFTP inside a namespace that owns the lab NIC'],
          ['$0 netboot serve --dhcp full --qemu-link 40100:40101 \\\n    -b qemu-riscv64-virt --payload out/payload-qemu-riscv64-virt', 'For a QEMU started with the printed -netdev dgram (no root)'],
        ]),
      ) as Argv<ServeArgs>,
  handler: async (argv) => {
    signalsEndThisCommand(); // SIGINT/SIGTERM is how this command is stopped
    const ctx = makeContext(argv);
    const { netbootServe } = await import('../../workflows/netboot-serve.js');
    const { UdpDatagramNetwork } = await import('../../transports/node/udp-datagram-link.js');
    const { UdpBroadcastNetwork } = await import('../../transports/node/udp-broadcast-link.js');
    const { readInterfaceFacts } = await import('../../transports/node/net-interfaces.js');
    const { openQemuDgramFrameLink } = await import('../../transports/node/qemu-dgram-frame-link.js');
    let registry;
    if (argv.board || argv.clients) {
      const [{ loadBoardRegistry }, { knownArtifactIds }] = await Promise.all([import('../../workflows/boards.js'), import('../../workflows/firmware-ids.js')]);
      registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    }
    const network = new UdpDatagramNetwork({ recvBufferSize: 4 << 20, nativePump: argv['tftp-engine'] !== 'typescript' });
    if (argv['tftp-engine'] === 'native' && !network.tftpPump) {
      const { BoardkitError } = await import('../../core/errors.js');
      throw new BoardkitError('E_NATIVE_MISSING', 'environment', `--tftp-engine native: the native TFTP pump is unavailable: ${network.tftpPumpMissing}`, { hint: 'use --tftp-engine auto (falls back to the TypeScript engine)' });
    }
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const summary = await netbootServe({
        network,
        root: argv.root,
        listen: argv.listen,
        blksizeMax: argv['blksize-max'],
        pathMtu: argv['path-mtu'],
        windowsizeMax: argv['windowsize-max'],
        maxTransfers: argv['max-transfers'],
        maxTransfersPerClient: argv['max-per-client'],
        perClient: argv['per-client'],
        uploadDir: argv['upload-dir'],
        dhcp: argv.dhcp,
        force: argv.force,
        pool: argv.pool,
        registry,
        firmwareFile: async (id) => {
          const [{ loadManifests }, { resolveArtifact }, { readFile }] = await Promise.all([
            import('../../artifacts/manifest-loader.js'),
            import('../../artifacts/resolve-artifact.js'),
            import('node:fs/promises'),
          ]);
          const manifests = loadManifests(ctx.manifestDir);
          const path = await resolveArtifact(id, { cacheDir: ctx.cacheDir, manifests });
          return { name: manifests.get(id).filename, bytes: new Uint8Array(await readFile(path)) };
        },
        readInterfaces: async () => readInterfaceFacts(new (await import('../../transports/node/node-spawner.js')).NodeSpawner()),
        broadcastNetwork: (sourceAddress) => new UdpBroadcastNetwork({ sourceAddress }),
        openQemuLink: (ports) => openQemuDgramFrameLink(ports),
        board: argv.board,
        payload: argv.payload,
        interface: argv.interface,
        qemuLink: argv['qemu-link'],
        clients: argv.clients,
        signal: abort.signal,
        onEvent: (e) => {
          // One JSON object per line so the stream can be piped while serving.
          if (ctx.json) return ctx.output.event('netboot serve', e);
          if (e.type === 'dhcp') {
            const d = e.event;
            if (d.type === 'offer' || d.type === 'ack') return ctx.output.err(`dhcp: ${d.type} ${d.yiaddr} to ${d.mac}${d.bootfile ? ` (file ${d.bootfile})` : ''}`);
            if (d.type === 'received') return ctx.output.err(`dhcp: ${d.messageType} from ${d.mac}${d.vendorClass ? ` (${d.vendorClass})` : ''}`);
            if (d.type === 'listening') return ctx.output.err(`dhcp: listening on ${d.address.address}:${d.address.port}`);
            return ctx.verbose ? ctx.output.err(`dhcp: ${JSON.stringify(d)}`) : undefined;
          }
          if (e.type === 'serving') {
            return ctx.output.err(`netboot: ${e.board} (${e.flow}): DHCP file ${e.bootFile}; ${e.files.map((f) => `${f.name} ${f.bytes} B`).join(', ')}${e.nonce ? `; payload nonce ${e.nonce}` : ''}${e.clients ? `; for ${e.clients.join(', ')}` : ''}`);
          }
          if (e.type === 'qemu-link') return ctx.output.err(`netboot: start QEMU with -nodefaults -netdev ${e.netdev} and a NIC on netdev n0`);
          const c = 'client' in e ? `${e.client.address}:${e.client.port}` : 'transfer' in e ? `${e.transfer.client.address}:${e.transfer.client.port}` : '';
          switch (e.type) {
            case 'listening':
              return ctx.output.err(`tftp: listening on ${e.address.address}:${e.address.port}, ${e.engine === 'native-pump' ? 'native pump' : 'TypeScript engine'} (Ctrl-C stops)`);
            case 'transfer-start':
              return ctx.output.err(`tftp: ${c} ${e.transfer.op} ${e.transfer.file} (${e.transfer.size ?? '?'} bytes, blksize ${e.transfer.blksize}, windowsize ${e.transfer.windowsize})`);
            case 'transfer-done':
              return ctx.output.err(`tftp: ${c} ${e.transfer.file} done: ${e.bytes} bytes in ${(e.durationMs / 1000).toFixed(2)} s, ${e.retransmits} retransmits`);
            case 'transfer-abort':
              return ctx.output.err(`tftp: ${c} ${e.transfer.file} ended by client: ${e.message || `error ${e.code}`}`);
            case 'transfer-error':
              return ctx.output.err(`tftp: ${c} ${e.transfer.file} failed: ${e.message}`);
            case 'request-refused':
              return ctx.output.err(`tftp: ${c} ${e.file || '(request)'} refused (error ${e.code}): ${e.message}`);
            default:
              return ctx.verbose ? ctx.output.err(`tftp: ${JSON.stringify(e)}`) : undefined;
          }
        },
      });
      if (ctx.json) ctx.output.event('netboot serve', { type: 'stopped', ...summary });
      else ctx.output.err(`tftp: stopped after ${summary.transfers} transfers (${summary.bytes} bytes, ${summary.failed} failed)${summary.leases ? `; ${summary.leases} DHCP lease(s)` : ''}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

export const netbootCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'netboot <command>',
  describe: 'Netboot services: TFTP with DHCP/proxyDHCP and generated board boot files',
  builder: (y) =>
    y
      .command(serve)
      .demandCommand(1, 'Name a netboot command, e.g. `boardkit netboot serve --root DIR`')
      .example(examples([['$0 netboot serve --root ./tftp --listen 127.0.0.1:16969', 'Plain TFTP of a directory on a high loopback port']])),
  handler: () => {},
};

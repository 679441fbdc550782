import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { ETHERNET_MTU } from '../../protocols/net/ethernet.js';
import { TFTP_DEFAULTS } from '../../protocols/tftp/defaults.js';
import { BLKSIZE_MAX, BLKSIZE_MIN, TFTP_OVERHEAD } from '../../protocols/tftp/options.js';
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
  dhcp: 'off' | 'proxy' | 'full';
  force?: boolean;
  pool?: string;
  board?: string;
  payload?: string;
  interface?: string;
  'qemu-link'?: string;
  clients?: string;
  image?: string;
  'tftp-engine': 'auto' | 'native' | 'typescript';
}

const serve: CommandModule<GlobalArgs, ServeArgs> = {
  command: 'serve',
  describe: 'Serve TFTP (a directory and/or a board\'s generated boot files), optionally with DHCP, until Ctrl-C',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('root', { type: 'string', describe: 'Directory to serve (confined: no symlinks out, no ..); optional with --board/--payload' })
      .option('listen', { type: 'string', default: '0.0.0.0:69', describe: 'ADDR[:PORT]; ports < 1024 need root or CAP_NET_BIND_SERVICE' })
      .option('blksize-max', { type: 'number', describe: `Largest blksize granted (${BLKSIZE_MIN}..${BLKSIZE_MAX}; also capped by --path-mtu − ${TFTP_OVERHEAD})` })
      .option('path-mtu', { type: 'number', default: ETHERNET_MTU, describe: `Path MTU to the clients; blksize stays ≤ MTU − ${TFTP_OVERHEAD} (no IP fragments)` })
      .option('windowsize-max', { type: 'number', describe: `Largest RFC 7440 windowsize granted (default ${TFTP_DEFAULTS.windowsizeMax})` })
      .option('max-transfers', { type: 'number', describe: `Concurrent transfers overall (default ${TFTP_DEFAULTS.maxTransfers})` })
      .option('max-per-client', { type: 'number', describe: `Concurrent transfers per client IP (default ${TFTP_DEFAULTS.maxTransfersPerClient})` })
      .option('per-client', { type: 'string', array: true, choices: ['mac', 'ip', 'serial'], describe: 'Try <root>/<key>/<file> first (mac needs --clients)' })
      .option('upload-dir', { type: 'string', describe: 'Enable WRQ into this separate directory (never overwrites)' })
      .option('dhcp', {
        choices: ['off', 'proxy', 'full'] as const,
        default: 'off' as const,
        // `server`, the old spelling of `full`, is still accepted from scripts; everything past this line says `full`.
        coerce: (mode: string) => (mode === 'server' ? 'full' : mode) as 'off' | 'proxy' | 'full',
        describe:
          'DHCP beside TFTP: full (we hand out addresses) or proxy (boot info only); needs --interface or --qemu-link. ' +
          'U-Boot ignores proxy offers unless built with SERVERIP_FROM_PROXYDHCP (distro builds are not): for U-Boot boards use full DHCP on an isolated link, or set serverip in U-Boot\'s environment (proxy mode prints how)',
      })
      .option('force', { type: 'boolean', describe: 'Serve DHCP on --interface even with a default route or other NICs present' })
      .option('pool', { type: 'string', describe: 'Full DHCP range FIRST-LAST (default: upper half of the interface subnet)' })
      .option('board', { alias: 'b', type: 'string', describe: 'Serve this board\'s boot files (U-Boot script or PXE boot file) around --payload' })
      .option('payload', { type: 'string', describe: 'Payload file or `payload build` directory (with --clients: one sub-directory per board)' })
      .option('interface', { type: 'string', describe: 'Lab NIC (kernel sockets): run inside a network namespace where it is the only NIC' })
      .option('qemu-link', { type: 'string', describe: 'HOSTPORT:GUESTPORT: serve a QEMU -netdev dgram link through the userspace stack (no root)' })
      .option('clients', { type: 'string', describe: 'MAC=board[,MAC=board]: each listed client gets its own board\'s DHCP and TFTP rules (option 43, boot file, Pi prefixes); --board is the default for the rest' })
      .option('image', { type: 'string', describe: 'Serve the boot partition of this disk image (`image build`), read in place: no mount, no extraction; with -b, that board\'s DHCP rule and netboot script' })
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
          ['$0 image build -b qemu-riscv64-virt \\\n    -p out/payload-qemu-riscv64-virt/payload.bin', 'Build the SD image; then netboot the same bytes from it:'],
          ['$0 netboot serve --dhcp full --qemu-link 40100:40101 \\\n    -b qemu-riscv64-virt --image out/qemu-riscv64-virt.img', 'Serve the image\'s boot partition (no mount, no extraction)'],
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
    const render = await import('../render/netboot.js');
    let registry;
    if (argv.board || argv.clients || argv.image) {
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
        cacheDir: ctx.cacheDir,
        manifestDir: ctx.manifestDir,
        readInterfaces: async () => readInterfaceFacts(new (await import('../../transports/node/node-spawner.js')).NodeSpawner()),
        broadcastNetwork: (sourceAddress) => new UdpBroadcastNetwork({ sourceAddress }),
        openQemuLink: (ports) => openQemuDgramFrameLink(ports),
        board: argv.board,
        payload: argv.payload,
        interface: argv.interface,
        qemuLink: argv['qemu-link'],
        clients: argv.clients,
        image: argv.image,
        signal: abort.signal,
        onEvent: (e) => {
          // One JSON object per line so the stream can be piped while serving.
          if (ctx.json) return ctx.output.event('netboot serve', e);
          const line = render.renderServeEvent(e, ctx.verbose);
          if (line !== undefined) ctx.output.err(line);
        },
      });
      if (ctx.json) ctx.output.event('netboot serve', { type: 'stopped', ...summary });
      else ctx.output.err(render.renderServeSummary(summary));
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

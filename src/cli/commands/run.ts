import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';

interface RunArgs extends GlobalArgs {
  board: string;
  kernel?: string;
  image?: string;
  'firmware-only'?: boolean;
  netboot?: boolean;
  drivers?: string[];
  'tftp-windowsize'?: number;
  'tftp-timeout'?: number;
  timeout?: number;
  gdb?: number;
  log?: string;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run',
  describe: 'Boot an emulated board (QEMU, from its profile) and verify the boot on its serial console',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', demandOption: true, describe: 'Board id (emulated boards: `boardkit boards list`, QEMU column)' })
      .option('kernel', { alias: 'k', type: 'string', describe: 'Payload/kernel to boot (ELF or flat binary)' })
      .option('image', { type: 'string', describe: 'Disk image to attach as the board\'s boot medium' })
      .option('firmware-only', { type: 'boolean', describe: 'Boot the firmware chain alone (e.g. OpenSBI + U-Boot) and verify its banners' })
      .option('drivers', { alias: 'd', type: 'string', array: true, describe: 'Reference payload: driver set to verify with host oracles (default: from payload.json beside --kernel)' })
      .option('netboot', { type: 'boolean', describe: 'Netboot --kernel through our DHCP+TFTP over a userspace network link (no root, no tap)' })
      .option('tftp-windowsize', { type: 'number', describe: 'With --netboot: U-Boot tftpwindowsize for the payload (RFC 7440)' })
      .option('tftp-timeout', { type: 'number', describe: 'With --netboot: U-Boot tftptimeout in ms (>= 1000)' })
      .option('timeout', { type: 'number', describe: 'Cap for the whole run, in seconds (stage timeouts come from the profile)' })
      .option('gdb', { type: 'number', describe: 'Open a gdb stub on 127.0.0.1:PORT, paused at the first instruction' })
      .option('log', { type: 'string', describe: 'Write the timestamped console log to this file' })
      .conflicts('firmware-only', ['kernel', 'image', 'netboot'])
      .conflicts('netboot', 'image')
      .check((a) => {
        if (!a['firmware-only'] && !a.kernel && !a.image) throw new Error('say what to boot: --firmware-only, --kernel FILE or --image FILE');
        return true;
      })
      .example('$0 run --board qemu-riscv64-virt --firmware-only', 'OpenSBI and U-Boot from Debian, verified on the console')
      .example('$0 run -b qemu-aarch64-virt -k out/payload-qemu-aarch64-virt', 'The reference payload: every driver proven by a host-side oracle')
      .example('$0 run -b qemu-riscv64-virt -k my-unikernel.elf --json', 'Any kernel: the profile\'s boot markers; JSON timeline and verdict')
      .example('$0 run -b qemu-riscv64-virt --netboot -k out/payload.bin --tftp-windowsize 16', 'U-Boot in QEMU netboots the payload from boardkit\'s DHCP+TFTP')
      .epilogue('Exit codes: 0 boot verified, 1 boot failed (stage and last console lines shown), 2 usage, 3 host setup (missing tool/firmware), 4 infrastructure (QEMU or console failed).'),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const mode: 'firmware-only' | 'netboot' | 'image' | 'kernel' = argv['firmware-only'] ? 'firmware-only' : argv.netboot ? 'netboot' : argv.image ? 'image' : 'kernel';
    if (mode === 'netboot' && !argv.kernel) throw new UsageError('--netboot serves a payload: pass --kernel FILE (the flat .bin) or a `payload build` directory');
    if (argv.timeout !== undefined && !(argv.timeout > 0)) throw new UsageError('--timeout takes a positive number of seconds');
    const [workflows, { loadBoardRegistry }, { knownArtifactIds }, transports, render, { withTask }, { parseDrivers }] = await Promise.all([
      loadRunWorkflows(),
      import('../../workflows/boards.js'),
      import('../../workflows/firmware-ids.js'),
      loadNodeTransports(),
      import('../render/run.js'),
      import('../render/tasks.js'),
      import('./payload.js'),
    ]);
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const env = {
      spawner: new transports.NodeSpawner(),
      connectQmp: transports.connectQmpSocket,
      openLink: transports.openNodeSerialLink,
      openQemuFrameLink: () => transports.openQemuDgramFrameLink(),
      cacheDir: ctx.cacheDir,
      manifestDir: ctx.manifestDir,
    };
    const common = {
      board: argv.board,
      ...(argv.timeout ? { timeoutMs: argv.timeout * 1000 } : {}),
      ...(argv.gdb !== undefined ? { gdbPort: argv.gdb } : {}),
      ...(argv.log ? { logFile: argv.log } : {}),
    };
    // Checked here (usage error, exit 2) before anything starts; 0 is a value to refuse, not "unset".
    const tftp = { windowsize: argv['tftp-windowsize'], tftpTimeoutMs: argv['tftp-timeout'] };
    (await import('../../netboot/uboot-script.js')).checkUbootTftpSettings({ windowsize: tftp.windowsize, timeoutMs: tftp.tftpTimeoutMs });
    const drivers = parseDrivers(argv.drivers);
    // The reference payload (a `payload build` output, or --drivers given) is also judged by host-side oracles.
    const referencePayload = argv.kernel !== undefined && (drivers !== undefined || workflows.hasPayloadManifest(argv.kernel));
    const abort = new AbortController();
    const onSigint = () => abort.abort(new UsageError('interrupted'));
    process.once('SIGINT', onSigint);
    try {
      const report = await withTask(
        ctx,
        `run ${argv.board} (${mode})`,
        (progress) => {
          const opts = { signal: abort.signal, progress };
          if (referencePayload && (mode === 'kernel' || mode === 'netboot'))
            return workflows.runPayload(registry, { ...common, ...tftp, kernel: argv.kernel!, netboot: mode === 'netboot', ...(drivers ? { drivers } : {}) }, env, opts);
          if (mode === 'netboot') return workflows.runNetboot(registry, { ...common, ...tftp, kernel: argv.kernel! }, env, opts);
          return workflows.runBoard(registry, { ...common, mode, ...(argv.kernel ? { kernel: argv.kernel } : {}), ...(argv.image ? { image: argv.image } : {}) }, env, opts);
        },
        { lines: (e) => e.type !== 'stage' },
      );
      if (ctx.json) ctx.output.json(report);
      else ctx.output.out(render.renderRunReport(report));
      process.exitCode = report.ok ? EXIT.ok : EXIT.checkFailed;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

async function loadRunWorkflows() {
  const [{ runBoard }, { runNetboot }, { runPayload }, { existsSync, statSync }, { dirname, join }] = await Promise.all([
    import('../../workflows/run-board.js'),
    import('../../workflows/netboot-run.js'),
    import('../../workflows/payload-run.js'),
    import('node:fs'),
    import('node:path'),
  ]);
  /** A `payload build` output: a directory with payload.json, or a file beside one. */
  const hasPayloadManifest = (kernel: string) => existsSync(join(existsSync(kernel) && statSync(kernel).isDirectory() ? kernel : dirname(kernel), 'payload.json'));
  return { runBoard, runNetboot, runPayload, hasPayloadManifest };
}

async function loadNodeTransports() {
  const [{ NodeSpawner }, { connectQmpSocket }, { openNodeSerialLink }, { openQemuDgramFrameLink }] = await Promise.all([
    import('../../transports/node/node-spawner.js'),
    import('../../transports/node/qmp-socket.js'),
    import('../../transports/node/open-serial-link.js'),
    import('../../transports/node/qemu-dgram-frame-link.js'),
  ]);
  return { NodeSpawner, connectQmpSocket, openNodeSerialLink, openQemuDgramFrameLink };
}

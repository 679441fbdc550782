import type { Argv, CommandModule } from 'yargs';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { commandSignal } from '../interrupt.js';

interface DevArgs extends GlobalArgs {
  board: string;
  payload: string;
  netboot?: boolean;
  emulate?: boolean;
  lab?: string;
  out?: string;
  timeout?: number;
}

export const devCommand: CommandModule<GlobalArgs, DevArgs> = {
  command: 'dev',
  describe: 'The developer loop: boot and verify the payload, then again on every change, one verdict line each, until Ctrl-C',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', demandOption: true, describe: 'Board id' })
      .option('payload', { alias: 'p', type: 'string', demandOption: true, describe: 'The payload to watch: a `payload build` directory, or a kernel/ELF/EFI file' })
      .option('netboot', { type: 'boolean', describe: "Netboot each version through boardkit's DHCP+TFTP (U-Boot or UEFI in QEMU)" })
      .option('emulate', { type: 'boolean', describe: 'Boot each version directly in QEMU (the default)' })
      .option('lab', { type: 'string', describe: 'A lab inventory, for real boards (runs on the lab host that owns them)' })
      .option('out', { alias: 'o', type: 'string', describe: 'Where each boot keeps its console log and verdict (default out/dev-<board>)' })
      .option('timeout', { type: 'number', describe: 'Cap for each boot, in seconds' })
      .conflicts('netboot', 'emulate')
      .example(
        examples([
          ['$0 payload build -b qemu-riscv64-virt', 'Build once ...'],
          ['$0 dev -b qemu-riscv64-virt -p out/payload-qemu-riscv64-virt --netboot', '... then every rebuild is netbooted and verified'],
        ]),
      )
      .epilogue('Each verdict: time, PASS/FAIL/ERROR, boot time, and what failed. A broken payload fails its verdict; the loop goes on. Ctrl-C stops the boot in progress and everything it started (exit 130).'),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    if (argv.lab !== undefined) throw new UsageError('dev --lab runs on the lab host that owns the boards; on this host, use --emulate or --netboot with an emulated board');
    if (argv.timeout !== undefined && !(argv.timeout > 0)) throw new UsageError('--timeout takes a positive number of seconds');
    const [{ devLoop }, { loadBoardRegistry }, { knownArtifactIds }, { NodeSpawner }, { connectQmpSocket }, { openNodeSerialLink }, { openQemuDgramFrameLink }] = await Promise.all([
      import('../../workflows/dev-loop.js'),
      import('../../workflows/boards.js'),
      import('../../workflows/firmware-ids.js'),
      import('../../transports/node/node-spawner.js'),
      import('../../transports/node/qmp-socket.js'),
      import('../../transports/node/open-serial-link.js'),
      import('../../transports/node/qemu-dgram-frame-link.js'),
    ]);
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const profile = registry.get(argv.board).profile;
    const env = { spawner: new NodeSpawner(), connectQmp: connectQmpSocket, openLink: openNodeSerialLink, openQemuFrameLink: () => openQemuDgramFrameLink(), cacheDir: ctx.cacheDir, manifestDir: ctx.manifestDir };
    const mode = argv.netboot ? 'netboot' : 'emulate';
    ctx.output.err(`dev: ${profile.id}, ${mode === 'netboot' ? 'netbooted' : 'emulated'}; watching ${argv.payload} (Ctrl-C to stop)`);
    await devLoop(
      registry,
      { board: argv.board, payload: argv.payload, mode, outDir: argv.out ?? join('out', `dev-${profile.id}`), ...(argv.timeout ? { timeoutMs: argv.timeout * 1000 } : {}) },
      env,
      {
        signal: commandSignal(),
        progress: (e) => {
          if (ctx.verbose && e.message) ctx.output.err(`  ${e.source}: ${e.message}`);
        },
        onVerdict: (v) => {
          if (ctx.json) {
            ctx.output.event('dev', { type: 'verdict', iteration: v.iteration, passed: v.ok, durationMs: v.durationMs, ...(v.reason ? { reason: v.reason } : {}), ...(v.error ? { error: true } : {}), runDir: v.runDir });
            return;
          }
          const at = new Date().toISOString().slice(11, 19);
          const word = v.ok ? 'PASS' : v.error ? 'ERROR' : 'FAIL';
          ctx.output.out(`[${at}] #${v.iteration} ${word} ${profile.id} in ${(v.durationMs / 1000).toFixed(1)} s${v.reason ? `: ${v.reason.split('\n')[0]}` : ''}  (${v.runDir})`);
        },
      },
    );
  },
};

import type { Argv, CommandModule } from 'yargs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { examples } from '../help.js';
import { makeContext, type CliContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { commandSignal } from '../interrupt.js';

interface HilRunArgs extends GlobalArgs {
  file: string;
  lab?: string;
  only?: string;
  junit?: string;
  report?: string;
  out?: string;
  parallel?: number;
}

async function readText(path: string, what: string): Promise<string> {
  return readFile(path, 'utf8').catch((cause: unknown) => {
    throw new UsageError(`${what} '${path}' cannot be read`, { cause, hint: what === 'run file' ? 'e.g. boardkit hil run hil/qemu-riscv64-netboot.yaml' : 'give the path of your lab.yaml' });
  });
}

async function loadInputs(ctx: CliContext, file: string, labFile: string | undefined) {
  const [{ parseRunFile }, { parseLab, emulatedLab }, { loadBoardRegistry }, { knownArtifactIds }] = await Promise.all([
    import('../../hil/run-file.js'),
    import('../../hil/lab.js'),
    import('../../workflows/boards.js'),
    import('../../workflows/firmware-ids.js'),
  ]);
  const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
  const runFile = parseRunFile(file, await readText(file, 'run file'));
  const profiles = new Map(registry.list().map((b) => [b.profile.id, b.profile]));
  const lab = labFile ? parseLab(labFile, await readText(labFile, 'lab inventory'), profiles) : emulatedLab(profiles);
  for (const t of runFile.targets) {
    if (t.board !== undefined && !profiles.has(t.board)) throw new UsageError(`${file}: target board '${t.board}' is not a board profile`, { hint: `known: ${[...profiles.keys()].join(', ')}` });
  }
  return { registry, runFile, lab };
}

const STATUS_MARK: Record<string, string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', interrupted: 'INTERRUPTED', 'not-run': 'NOT RUN' };

const run: CommandModule<GlobalArgs, HilRunArgs> = {
  command: 'run <file>',
  describe: 'Run a HIL run file: build, deploy, power, boot and verify each target; write JUnit, JSON and HTML reports',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('file', { type: 'string', demandOption: true, describe: 'Run file (hil/*.yaml)' })
      .option('lab', { type: 'string', describe: 'Lab inventory (default: the emulated lab, one QEMU board per emulatable profile)' })
      .option('only', { type: 'string', describe: 'Only the targets with this tag, board or name' })
      .option('junit', { type: 'string', describe: 'JUnit XML file (default: OUT/junit.xml)' })
      .option('report', { type: 'string', describe: 'HTML report file (default: OUT/report.html)' })
      .option('out', { alias: 'o', type: 'string', describe: 'Report directory: per-target console logs, screenshots, result.json (default: out/hil-<run name>)' })
      .option('parallel', { type: 'number', default: 1, describe: 'Targets run at once (each emulated board takes a CPU core)' })
      .example(
        examples([
          ['$0 hil run hil/qemu-riscv64-netboot.yaml', 'Netboot the reference payload on QEMU and prove every driver'],
          ['$0 hil run hil/third-party.yaml --junit junit.xml --json', 'Third-party payloads; JUnit for CI, the result as JSON'],
          ['$0 hil run hil/examples/rpi4-usb.yaml --lab lab.yaml', 'Real boards, from the lab inventory'],
        ]),
      )
      .epilogue('Exit codes: 0 every target passed, 1 a board failed a check, 2 usage, 4 infrastructure (power, deploy, QEMU, console), 130 interrupted (reports are still written, marked partial).'),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    if (!(argv.parallel! >= 1)) throw new UsageError('--parallel takes a number of targets, 1 or more');
    const { registry, runFile, lab } = await loadInputs(ctx, argv.file, argv.lab);
    const [{ runHil }, { runOutcome }, transports, { renderHilProgress }] = await Promise.all([
      import('../../workflows/hil-run.js'),
      import('../../hil/result.js'),
      loadNodeTransports(),
      import('../render/hil.js'),
    ]);
    const out = argv.out ?? join('out', `hil-${runFile.name}`);
    const env = {
      spawner: new transports.NodeSpawner(),
      connectQmp: transports.connectQmpSocket,
      openLink: transports.openNodeSerialLink,
      openQemuFrameLink: () => transports.openQemuDgramFrameLink(),
      cacheDir: ctx.cacheDir,
      manifestDir: ctx.manifestDir,
      ...(process.stdin.isTTY ? { ask: transports.askAtTerminal } : {}),
      image: {
        firmwareFile: async (id: string) => {
          const [{ loadManifests }, { resolveArtifact }] = await Promise.all([import('../../artifacts/manifest-loader.js'), import('../../artifacts/resolve-artifact.js')]);
          const manifests = loadManifests(ctx.manifestDir);
          const m = manifests.get(id);
          return { name: m.filename, path: await resolveArtifact(id, { cacheDir: ctx.cacheDir, manifests }), version: m.version, licence: m.licence };
        },
      },
    };
    const outputs = await renderHilProgress(ctx, runFile.name, (progress) =>
      runHil(registry, runFile, lab, env, {
        reportDir: out,
        parallel: argv.parallel!,
        signal: commandSignal(),
        progress,
        ...(argv.only !== undefined ? { only: argv.only } : {}),
        ...(argv.junit !== undefined ? { junitFile: argv.junit } : {}),
        ...(argv.report !== undefined ? { htmlFile: argv.report } : {}),
        sourceDateEpoch: Number(process.env.SOURCE_DATE_EPOCH ?? 0) || 0,
      }),
    );
    const outcome = runOutcome(outputs.result);
    if (ctx.json) ctx.output.result('hil run', { ...outputs.result, reports: { junit: outputs.junit, html: outputs.html, json: outputs.json } }, outcome === 'passed');
    else {
      const lines = outputs.result.targets.map((t) => {
        const failed = t.cases.find((c) => c.status === 'failed' || c.status === 'error');
        return `${STATUS_MARK[t.status] ?? t.status}  ${t.name}  (${t.board}, ${(t.durationMs / 1000).toFixed(1)} s)${failed ? `: ${failed.name}: ${failed.message ?? ''}` : t.error ? `: ${t.error.message}` : ''}`;
      });
      lines.push(`${outcome.toUpperCase()}${outputs.result.interrupted ? ' (partial)' : ''}: ${outputs.result.run}`, `reports: ${outputs.html}, ${outputs.junit}, ${outputs.json}`);
      ctx.output.out(lines.join('\n'));
    }
    process.exitCode = outcome === 'passed' ? EXIT.ok : outcome === 'failed' ? EXIT.checkFailed : outcome === 'error' ? EXIT.infrastructure : EXIT.interrupted;
  },
};

const validate: CommandModule<GlobalArgs, GlobalArgs & { file: string; lab?: string }> = {
  command: 'validate <file>',
  describe: 'Check a run file (and a lab inventory) without running anything: every problem at once, as file:line:col rule message',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('file', { type: 'string', demandOption: true, describe: 'Run file' })
      .option('lab', { type: 'string', describe: 'Also check this lab inventory, and that each target resolves to a board in it' })
      .example(examples([['$0 hil validate hil/qemu-riscv64-netboot.yaml', 'Check a run file'], ['$0 hil validate hil/examples/rpi4-usb.yaml --lab hil/examples/lab.yaml', 'A real-board run file against its lab']])),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { runFile, lab } = await loadInputs(ctx, argv.file, argv.lab);
    const { resolveTargets } = await import('../../hil/lab.js');
    const targets = resolveTargets(runFile.targets, lab);
    if (ctx.json) ctx.output.result('hil validate', { file: argv.file, run: runFile.name, targets: targets.map((t) => ({ name: t.name, board: t.lab.board, labBoard: t.lab.name })), stages: runFile.stages.map((s) => s.kind) }, true);
    else ctx.output.out(`${argv.file}: valid; ${targets.length} target(s): ${targets.map((t) => `${t.name} → ${t.lab.name}`).join(', ')}; stages ${runFile.stages.map((s) => s.kind).join(' → ')}`);
  },
};

const schema: CommandModule<GlobalArgs, GlobalArgs & { output?: string }> = {
  command: 'schema',
  describe: 'Print the JSON Schema of run files (editors validate hil/*.yaml with it)',
  builder: (y) => (y as Argv<GlobalArgs>).option('output', { alias: 'o', type: 'string', describe: 'Write it to this file' }).example(examples([['$0 hil schema -o hil/run.schema.json', 'Refresh the schema in the repository']])),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { runFileJsonSchema } = await import('../../hil/run-file.js');
    const text = `${JSON.stringify(runFileJsonSchema(), null, 2)}\n`;
    if (argv.output) await (await import('node:fs/promises')).writeFile(argv.output, text);
    else ctx.output.out(text.trimEnd());
  },
};

export const hilCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'hil',
  describe: 'Hardware-in-the-loop runs: one run file for the desk and CI, emulated or lab boards, JUnit/JSON/HTML reports',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  builder: (y) =>
    y
      .command([run, validate, schema] as CommandModule<GlobalArgs, any>[])
      .demandCommand(1, 'Name a hil subcommand: run, validate, schema')
      .example(examples([['$0 hil validate hil/qemu-riscv64-netboot.yaml', 'Check a run file'], ['$0 hil run hil/qemu-riscv64-netboot.yaml', 'Run it: reports in out/hil-qemu-riscv64-netboot/']])),
  handler: () => {},
};

async function loadNodeTransports() {
  const [{ NodeSpawner }, { connectQmpSocket }, { openNodeSerialLink }, { openQemuDgramFrameLink }, { askAtTerminal }] = await Promise.all([
    import('../../transports/node/node-spawner.js'),
    import('../../transports/node/qmp-socket.js'),
    import('../../transports/node/open-serial-link.js'),
    import('../../transports/node/qemu-dgram-frame-link.js'),
    import('../render/ask.js'),
  ]);
  return { NodeSpawner, connectQmpSocket, openNodeSerialLink, openQemuDgramFrameLink, askAtTerminal };
}

import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { examples } from '../help.js';

interface BuildArgs extends GlobalArgs {
  board: string;
  payload: string;
  layout?: string;
  output?: string;
  size?: string;
  'dry-run'?: boolean;
  add?: string[];
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org spec) or 0: never the wall clock. */
function sourceDateEpoch(): number {
  const v = process.env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v)) throw new UsageError(`SOURCE_DATE_EPOCH='${v}' is not a number of seconds`);
  return Number(v);
}

function renderPlan(plan: Record<string, unknown>): string {
  const p = plan as { board: string; layout: string; table: string; size: number; diskId: string; partitions: Array<{ index: number; name: string; type: string; bootable: boolean; firstLba: number; sizeLba: number; filesystem?: { type: string; label: string | null; clusters: number; clusterBytes: number }; files: Array<{ path: string; size: number; source: string; text?: string }> }> };
  const lines = [`${p.board}: layout ${p.layout}, ${p.table.toUpperCase()} ${p.diskId}, ${p.size} bytes`];
  for (const part of p.partitions) {
    const fs = part.filesystem ? `  ${part.filesystem.type} '${part.filesystem.label ?? ''}' ${part.filesystem.clusters} clusters of ${part.filesystem.clusterBytes}` : '';
    lines.push(`  ${part.index} ${part.name}  type ${part.type}${part.bootable ? ' (bootable)' : ''}  LBA ${part.firstLba}+${part.sizeLba}${fs}`);
    for (const f of part.files) {
      lines.push(`      ${f.path}  ${f.size} bytes  (${f.source})`);
      if (f.text) lines.push(...f.text.trimEnd().split('\n').map((l) => `        | ${l}`));
    }
  }
  return lines.join('\n');
}

const build: CommandModule<GlobalArgs, BuildArgs> = {
  command: 'build',
  describe: 'Build a bootable disk image (partition table, FAT, boot files) for a board, with its .bmap and manifest',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .option('board', { alias: 'b', type: 'string', demandOption: true, describe: 'Board id' })
      .option('payload', { alias: 'p', type: 'string', demandOption: true, describe: 'Payload file (.bin for U-Boot boards, .efi for UEFI)' })
      .option('layout', { alias: 'l', type: 'string', describe: "Image layout (default: the profile's storage.layout)" })
      .option('output', { alias: 'o', type: 'string', describe: 'Image file (default out/<board>.img)' })
      .option('size', { type: 'string', describe: 'Image size, e.g. 64M (default: what the layout needs)' })
      .option('add', { type: 'string', array: true, describe: 'SRC:DEST — also put file SRC at DEST on the boot partition (repeatable)' })
      .option('dry-run', { type: 'boolean', describe: 'Print the plan (table, partitions, files, generated text); write nothing' })
      .example(
        examples([
          ['$0 image build -b qemu-riscv64-virt \\\n    -p out/payload-qemu-riscv64-virt/payload.bin', 'A U-Boot distro-boot image, in out/qemu-riscv64-virt.img'],
          ['$0 image build -b qemu-riscv64-virt \\\n    -p out/payload-qemu-riscv64-virt/payload.bin --dry-run', 'The plan only: table, partitions, files, generated text'],
        ]),
      )
      .epilogue('Reproducible: the same inputs and SOURCE_DATE_EPOCH give the same bytes. Writes OUT, OUT.bmap and OUT.manifest.json.'),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const [{ buildImage }, { loadBoardRegistry }, { knownArtifactIds }, { parseSize }, { withTask }] = await Promise.all([
      import('../../workflows/image-build.js'),
      import('../../workflows/boards.js'),
      import('../../workflows/firmware-ids.js'),
      import('../../core/units.js'),
      import('../render/tasks.js'),
    ]);
    const registry = await loadBoardRegistry({ boardDirs: ctx.boardDirs, knownArtifacts: await knownArtifactIds(ctx.manifestDir) });
    const req = {
      board: argv.board,
      payload: argv.payload,
      output: argv.output ?? `out/${argv.board}.img`,
      sourceDateEpoch: sourceDateEpoch(),
      ...(argv.layout ? { layout: argv.layout } : {}),
      ...(argv.size ? { size: parseSize(argv.size) } : {}),
      ...(argv['dry-run'] ? { dryRun: true } : {}),
      ...(argv.add?.length
        ? {
            add: argv.add.map((a) => {
              const i = a.lastIndexOf(':');
              if (i <= 0 || i === a.length - 1) throw new UsageError(`--add '${a}' is not SRC:DEST`, { hint: 'e.g. --add notes.txt:docs/notes.txt' });
              return { from: a.slice(0, i), to: a.slice(i + 1) };
            }),
          }
        : {}),
    };
    const env = {
      firmwareFile: async (id: string) => {
        const [{ loadManifests }, { resolveArtifact }] = await Promise.all([import('../../artifacts/manifest-loader.js'), import('../../artifacts/resolve-artifact.js')]);
        const manifests = loadManifests(ctx.manifestDir);
        const m = manifests.get(id);
        return { name: m.filename, path: await resolveArtifact(id, { cacheDir: ctx.cacheDir, manifests }), version: m.version, licence: m.licence };
      },
    };
    const result = argv['dry-run'] ? await buildImage(registry, req, undefined, env) : await withTask(ctx, `image build ${argv.board}`, (progress) => buildImage(registry, req, progress, env));
    if (ctx.json) ctx.output.json(result);
    else {
      const lines = [renderPlan(result.plan)];
      if (result.outputs) lines.push(`wrote ${result.outputs.image} (${result.outputs.mappedBytes} bytes mapped), ${result.outputs.bmap}, ${result.outputs.manifest}`);
      ctx.output.out(lines.join('\n'));
    }
  },
};

const inspect: CommandModule<GlobalArgs, GlobalArgs & { image: string }> = {
  command: 'inspect <image>',
  describe: 'Show what an image holds: partition table, partitions, FAT trees, generated boot scripts',
  builder: (y) => (y as Argv<GlobalArgs>).positional('image', { type: 'string', demandOption: true, describe: 'Disk image file' }).example(examples([['$0 image inspect out/qemu-riscv64-virt.img', 'Partitions, FAT trees and generated boot scripts'], ['$0 image inspect out/qemu-riscv64-virt.img --json', 'The same, as JSON']])),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { inspectImage } = await import('../../workflows/image-inspect.js');
    const img = inspectImage(argv.image);
    if (ctx.json) return ctx.output.json(img);
    const lines = [`${argv.image}: ${img.table.toUpperCase()} ${img.diskId}, ${img.size} bytes`];
    for (const p of img.partitions) {
      const fs = p.filesystem ? `  ${p.filesystem.type} '${p.filesystem.label}' id ${p.filesystem.volumeId}` : '';
      lines.push(`  ${p.index}${p.name ? ` ${p.name}` : ''}  type ${p.type}${p.bootable ? ' (bootable)' : ''}  LBA ${p.firstLba}+${p.sizeLba}${fs}`);
      for (const f of p.files ?? []) lines.push(`      ${f.path}${f.directory ? '/' : `  ${f.size} bytes`}`);
      for (const s of p.scripts ?? []) lines.push(`    ${s.path}:`, ...s.text.trimEnd().split('\n').map((l) => `      | ${l}`));
    }
    ctx.output.out(lines.join('\n'));
  },
};

const extract: CommandModule<GlobalArgs, GlobalArgs & { image: string; path: string; output?: string; partition?: number }> = {
  command: 'extract <image> <path>',
  describe: "Copy one file out of an image's FAT partition (read with boardkit's own FAT reader)",
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('image', { type: 'string', demandOption: true, describe: 'Disk image file' })
      .positional('path', { type: 'string', demandOption: true, describe: 'File inside the partition, e.g. /boot.scr' })
      .option('output', { alias: 'o', type: 'string', describe: 'Where to write it (default: its base name)' })
      .option('partition', { type: 'number', describe: 'Partition number (default: the first FAT partition that has the file)' })
      .example(examples([['$0 image extract out/qemu-riscv64-virt.img /boot.scr -o -', 'Print the generated U-Boot script (its 72-byte header first)']])),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { extractFromImage } = await import('../../workflows/image-inspect.js');
    const dest = argv.output ?? argv.path.split('/').filter(Boolean).pop()!;
    const r = extractFromImage(argv.image, argv.path, dest === '-' ? '/dev/stdout' : dest, argv.partition);
    if (ctx.json) ctx.output.json({ ...r, path: argv.path, output: dest });
    else if (dest !== '-') ctx.output.out(`${argv.path} (partition ${r.partition}, ${r.size} bytes) → ${dest}`);
  },
};

export const imageCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'image',
  describe: 'Disk images: build one for a board (partition table, FAT, boot files, bmap, manifest), inspect one, extract a file',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  builder: (y) => y.command([build, inspect, extract] as CommandModule<GlobalArgs, any>[]).demandCommand(1, 'Name an image subcommand: build, inspect, extract')
      .example(
        examples([
          ['$0 payload build -b qemu-riscv64-virt', 'The reference payload first, in out/payload-qemu-riscv64-virt/'],
          ['$0 image build -b qemu-riscv64-virt \\\n    -p out/payload-qemu-riscv64-virt/payload.bin', 'Then a bootable image of it, in out/qemu-riscv64-virt.img'],
        ]),
      ),
  handler: () => {},
};

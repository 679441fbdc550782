import type { Argv, CommandModule } from 'yargs';
import { examples } from '../help.js';
import { makeContext, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';

type IdsArgs = GlobalArgs & { ids?: string[] };

const STATE_LABEL: Record<string, string> = {
  verified: 'cached+verified',
  mismatch: 'MISMATCH',
  missing: 'missing',
  'user-supplied-missing': 'user-supplied-missing',
};

const list: CommandModule<GlobalArgs, IdsArgs> = {
  command: 'list [ids..]',
  describe: 'Every firmware artefact the boards use: cache status (sha256 checked), source, licence, redistributable',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('ids', { type: 'string', array: true, describe: 'Only these artefact ids' })
      .example(
        examples([
          ['$0 firmware list', 'What is cached, missing, or must be imported'],
          ["$0 firmware list --json \\\n    | jq '.artifacts[] | select(.redistributable == false) | .id'", 'Licence audit: what may not be redistributed'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { listFirmware } = await import('../../workflows/firmware.js');
    const rows = await listFirmware(ctx, argv.ids);
    if (ctx.json) return ctx.output.result('firmware list', { artifacts: rows });
    const { renderTable } = await import('../render/table.js');
    ctx.output.out(
      renderTable(
        ['ID', 'STATE', 'LICENCE', 'REDIST', 'VERSION', 'SOURCE'],
        rows.map((r) => [r.id, STATE_LABEL[r.state] ?? r.state, r.licence, r.redistributable ? 'yes' : 'NO', r.version, r.source]),
      ),
    );
    const missing = rows.filter((r) => r.state !== 'verified');
    if (missing.length > 0) ctx.output.out(`\n${missing.length} not cached: \`boardkit firmware fetch\` gets the Debian ones; \`boardkit firmware fetch ID\` explains how to import a user-supplied one.`);
  },
};

const fetch: CommandModule<GlobalArgs, IdsArgs> = {
  command: 'fetch [ids..]',
  describe: 'Download artefacts into the cache (apt-get download + dpkg-deb -x, pinned version, sha256 verified, installed atomically)',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('ids', { type: 'string', array: true, describe: 'Artefact ids (default: all)' })
      .example(
        examples([
          ['$0 firmware fetch', 'Every Debian artefact; user-supplied ones are explained'],
          ['$0 firmware fetch opensbi-fw-jump u-boot-qemu-riscv64-smode', 'Just what qemu-riscv64-virt needs'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { fetchFirmware } = await import('../../workflows/firmware.js');
    const { NodeSpawner } = await import('../../transports/node/node-spawner.js');
    const report = await fetchFirmware(ctx, {
      ids: argv.ids,
      spawner: new NodeSpawner(),
      progress: ctx.json ? undefined : (e) => {
        if (e.type === 'download' || e.type === 'extract' || (ctx.verbose && e.message)) ctx.output.err(`… ${e.message ?? e.type}`);
      },
    });
    if (ctx.json) {
      ctx.output.result(
        'firmware fetch',
        { results: report.results.map((r) => ({ ...r, error: r.error ? { code: r.error.code, kind: r.error.kind, message: r.error.message, hint: r.error.hint } : undefined })) },
        report.ok,
      );
    } else {
      for (const r of report.results) {
        if (r.outcome === 'fetched' || r.outcome === 'already-verified') ctx.output.out(`ok      ${r.id}  ${r.outcome === 'fetched' ? 'fetched, verified' : 'already cached, verified'}  ${r.path}`);
        else if (r.outcome === 'user-supplied-missing') ctx.output.out(`import  ${r.id}  user-supplied, not in the cache\n        ${r.obtain ?? ''}`);
        else ctx.output.err(`FAILED  ${r.id}  ${r.error?.message ?? ''}${r.error?.hint ? `\n        hint: ${r.error.hint}` : ''}`);
      }
    }
    process.exitCode = report.ok ? EXIT.ok : report.results.some((r) => r.error?.kind === 'input') ? EXIT.checkFailed : EXIT.environment;
  },
};

const verify: CommandModule<GlobalArgs, IdsArgs> = {
  command: 'verify [ids..]',
  describe: 'Re-hash cached artefacts against the manifest (or the digest accepted at import); exit 1 on any mismatch or missing fetchable one',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('ids', { type: 'string', array: true, describe: 'Artefact ids (default: all)' })
      .example(
        examples([
          ['$0 firmware verify', 'Check the whole cache'],
          ['$0 firmware verify ovmf-code-4m ovmf-vars-4m', 'Check two artefacts'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { verifyFirmware } = await import('../../workflows/firmware.js');
    const report = await verifyFirmware(ctx, argv.ids);
    if (ctx.json) ctx.output.result('firmware verify', { artifacts: report.rows, failed: report.failed.map((r) => r.id) }, report.ok);
    else {
      for (const r of report.rows) {
        const bad = report.failed.includes(r);
        const line = `${bad ? 'FAIL' : r.state === 'verified' ? 'ok  ' : 'skip'}  ${r.id}  ${STATE_LABEL[r.state] ?? r.state}${r.detail ? `: ${r.detail}` : ''}`;
        if (bad) ctx.output.err(`${line}${r.hint ? `\n      hint: ${r.hint}` : ''}`);
        else ctx.output.out(line);
      }
      ctx.output.out(`${report.rows.filter((r) => r.state === 'verified').length} verified, ${report.failed.length} failed, ${report.rows.filter((r) => r.state === 'user-supplied-missing' && !report.failed.includes(r)).length} user-supplied not imported`);
    }
    process.exitCode = report.ok ? EXIT.ok : EXIT.checkFailed;
  },
};

const importCmd: CommandModule<GlobalArgs, GlobalArgs & { file: string; id: string; sha256?: string; 'accept-digest'?: boolean }> = {
  command: 'import <file>',
  describe: 'Put a file you obtained into the cache as artefact --id (checked against the manifest digest, or one you state/accept)',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('file', { type: 'string', demandOption: true, describe: 'The file to import' })
      .option('id', { type: 'string', demandOption: true, describe: 'Artefact id (see `boardkit firmware list`)' })
      .option('sha256', { type: 'string', describe: 'The digest you trust for this file (required when the manifest pins none, unless --accept-digest)' })
      .option('accept-digest', { type: 'boolean', describe: "Record the file's own digest (trust on first use) when the manifest pins none" })
      .example(
        examples([
          ['$0 firmware import bcm2711-rpi-4-b.dtb \\\n    --id rpi-dtb-bcm2711-rpi-4-b --accept-digest', 'Import a DTB from a firmware checkout'],
          ['$0 firmware import fw_jump.bin --id opensbi-fw-jump', 'Must match the pinned Debian digest'],
        ]),
      ),
  handler: async (argv) => {
    const ctx = makeContext(argv);
    const { importFirmware } = await import('../../workflows/firmware.js');
    const result = await importFirmware(ctx, argv.id, argv.file, {
      ...(argv.sha256 !== undefined ? { sha256: argv.sha256 } : {}),
      ...(argv['accept-digest'] ? { acceptDigest: true } : {}),
    });
    if (ctx.json) ctx.output.result('firmware import', result);
    else ctx.output.out(`ok  ${result.id}  imported (${result.size} bytes, sha256 ${result.sha256}, digest from ${result.digestFrom})  ${result.path}`);
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs' subcommand arrays are heterogeneous
export const firmwareCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'firmware <command>',
  describe: 'Firmware artefacts (OpenSBI, U-Boot, OVMF, Pi firmware, DTBs): list, fetch, verify, import',
  builder: (y) => y.command([list, fetch, verify, importCmd] as CommandModule<GlobalArgs, any>[]).demandCommand(1, 'Name a firmware subcommand: list, fetch, verify, import.').example(examples([['$0 firmware list', 'What is cached, missing, or must be imported'], ['$0 firmware fetch', 'Fetch every Debian artefact into the cache']])),
  handler: () => {},
};

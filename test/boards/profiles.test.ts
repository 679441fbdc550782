import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/boards/issues.js';
import { listProfileFiles, loadBoards, loadProfileFiles } from '../../src/boards/loader.js';
import { ALL_RULE_NAMES } from '../../src/boards/rules.js';
import { boardJsonSchema } from '../../src/boards/schema.js';
import { loadArtifactIds } from '../../src/artifacts/manifest-loader.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BOARDS = join(ROOT, 'boards');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'boards');
const knownArtifacts = loadArtifactIds(join(ROOT, 'firmware-manifests'));

async function validate(files: string[]) {
  const builtins = await listProfileFiles([BOARDS]);
  return loadProfileFiles([...builtins, ...files], { knownArtifacts });
}

/** The line carrying `# <- rule` in a fixture, 1-based. */
async function markedLine(file: string, rule: string): Promise<number> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const i = lines.findIndex((l) => l.includes(`# <- ${rule}`));
  if (i < 0) throw new Error(`${file} has no '# <- ${rule}' marker`);
  return i + 1;
}

describe('built-in board profiles', () => {
  it('loads the ten boards, all valid against every rule and the firmware manifests', async () => {
    const registry = await loadBoards([BOARDS], { knownArtifacts });
    expect(registry.ids()).toEqual([
      'hifive-unleashed',
      'hifive-unmatched',
      'qemu-aarch64-virt',
      'qemu-riscv64-virt',
      'rpi-cm4',
      'rpi-zero2w',
      'rpi3b',
      'rpi4b',
      'rpi5',
      'x86-kiosk',
    ]);
  });

  it('applies extends: rpi-cm4 inherits the Pi 4 console and overrides flashing', async () => {
    const registry = await loadBoards([BOARDS], { knownArtifacts });
    const cm4 = registry.get('rpi-cm4');
    expect(cm4.chain).toEqual(['rpi-cm4', 'rpi4b']);
    expect(cm4.profile.console.base).toBe(0xfe215040);
    expect(cm4.profile.flash.map((f) => f.method)).toEqual(['usb-rpiboot', 'emmc', 'tftp']);
    const zero = registry.get('rpi-zero2w').profile;
    expect(zero.netboot).toBeUndefined(); // `netboot: null` removes the inherited section
    expect(zero.drivers.ethernet.unsupported).toMatch(/no Ethernet/);
  });

  it('every emulated board passes -nodefaults and maps its console to a -serial index', async () => {
    const registry = await loadBoards([BOARDS], { knownArtifacts });
    const emulated = registry.list().filter((e) => e.profile.emulation);
    expect(emulated.map((e) => e.profile.id).sort()).toEqual(['hifive-unleashed', 'qemu-aarch64-virt', 'qemu-riscv64-virt', 'rpi-zero2w', 'rpi3b', 'x86-kiosk']);
    for (const { profile } of emulated) {
      expect(profile.emulation!.qemu.nodefaults).toBe(true);
      expect(profile.emulation!.serial.some((s) => s.uart === profile.console.uart)).toBe(true);
    }
  });

  it('boards/board.schema.json is the schema generated from src/boards/schema.ts', async () => {
    const onDisk = JSON.parse(await readFile(join(BOARDS, 'board.schema.json'), 'utf8'));
    expect(onDisk, 'regenerate with: node bin/boardkit.js boards schema -o boards/board.schema.json').toEqual(boardJsonSchema());
  });
});

describe('profile validation rules', () => {
  it('every named rule has a fixture that fails with that name at the marked file:line:col', async () => {
    const fixtures = new Set(await readdir(FIXTURES));
    for (const rule of ALL_RULE_NAMES) {
      const name = `invalid-${rule}.yaml`;
      expect(fixtures.has(name), `missing fixture test/fixtures/boards/${name}`).toBe(true);
      const file = join(FIXTURES, name);
      const result = await validate([file]);
      const own = result.issues.filter((i) => resolve(i.file) === file);
      expect(own.length, `${name}: ${result.issues.map(formatIssue).join('\n')}`).toBeGreaterThan(0);
      for (const issue of own) expect(issue.rule, formatIssue(issue)).toBe(rule);
      const line = await markedLine(file, rule);
      expect(own.map((i) => i.line), `${name} reported at the wrong line`).toContain(line);
      for (const issue of own) expect(issue.col).toBeGreaterThanOrEqual(1);
      // The built-in profiles stay valid whatever the fixture does.
      expect(result.issues.filter((i) => resolve(i.file) !== file)).toEqual([]);
    }
  });

  it('points at the offending token: line and column of the value or key', async () => {
    const result = await validate([join(FIXTURES, 'invalid-wrong-type.yaml')]);
    const [issue] = result.issues;
    expect(issue).toMatchObject({ rule: 'wrong-type', line: 4, col: 9, path: 'console.baud' });
    const unknown = await validate([join(FIXTURES, 'invalid-unknown-key.yaml')]);
    expect(unknown.issues[0]).toMatchObject({ rule: 'unknown-key', line: 3, col: 1 });
    expect(unknown.issues[0]!.message).toContain("'consle'");
  });

  it('reports all faults of a profile at once', async () => {
    const result = await validate([join(FIXTURES, 'several-faults.yaml')]);
    const rules = result.issues.map((i) => `${i.line}:${i.rule}`).sort();
    expect(rules).toEqual(['4:invalid-value', '6:invalid-value', '7:unknown-key']);
  });

  it('reports an extends cycle between two files', async () => {
    const result = await validate([join(FIXTURES, 'cycle', 'a.yaml'), join(FIXTURES, 'cycle', 'b.yaml')]);
    expect(result.issues.map((i) => i.rule)).toEqual(['extends-cycle', 'extends-cycle']);
    expect(result.issues[0]!.message).toMatch(/cycle-a -> cycle-b -> cycle-a|cycle-b -> cycle-a -> cycle-b/);
    expect(result.invalid).toEqual(['cycle-a', 'cycle-b']);
  });

  it("reports a fault inside a parent at the parent's line, also when validating the child", async () => {
    const parent = join(FIXTURES, 'parent-fault', 'parent.yaml');
    const child = join(FIXTURES, 'parent-fault', 'child.yaml');
    const result = await validate([parent, child]);
    expect(result.issues).toHaveLength(1); // the same fault, seen through both profiles, once
    expect(result.issues[0]).toMatchObject({ rule: 'wrong-type', line: await markedLine(parent, 'wrong-type') });
    expect(resolve(result.issues[0]!.file)).toBe(parent);
    expect(result.invalid).toEqual(['child-of-faulty', 'faulty-parent']);
  });
});

describe('all problems at once (issue 9, item 11)', () => {
  it('a copy of a built-in with a typo shows the duplicate id, the unknown key with a suggestion, and the semantic rule', async () => {
    const file = join(FIXTURES, 'copy-with-typos.yaml');
    const result = await validate([file]);
    const own = result.issues.filter((i) => resolve(i.file) === file);
    expect(own.map((i) => `${i.line}:${i.rule}`)).toEqual([
      `${await markedLine(file, 'duplicate-id')}:duplicate-id`,
      `${await markedLine(file, 'unknown-key')}:unknown-key`,
      `${await markedLine(file, 'uart-base-outside-memory-map')}:uart-base-outside-memory-map`,
    ]);
    expect(own[1]!.message).toContain("unknown key 'vendorr': did you mean 'vendor'?");
    // The built-in rpi4b keeps its place in the registry; the copy never replaces it.
    expect(result.registry.get('rpi4b').file).toBe(join(BOARDS, 'rpi4b.yaml'));
    expect(result.issues.filter((i) => resolve(i.file) !== file)).toEqual([]);
  });

  it('suggests the nearest allowed key of the mapping the typo is in, and lists the allowed ones when none is near', async () => {
    const unknown = await validate([join(FIXTURES, 'invalid-unknown-key.yaml')]);
    expect(unknown.issues[0]!.message).toContain("did you mean 'console'?");
    const several = await validate([join(FIXTURES, 'several-faults.yaml')]);
    const colour = several.issues.find((i) => i.rule === 'unknown-key')!;
    expect(colour.message).not.toContain('did you mean');
    expect(colour.message).toContain('allowed: uart, type, base, baud');
  });

  it('a file without an id is still checked in full', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bk-noid-'));
    try {
      const file = join(dir, 'noid.yaml');
      await writeFile(file, 'extends: qemu-riscv64-virt\nname: no id\nconsle: {}\n');
      const result = await validate([file]);
      expect(result.issues.map((i) => i.rule).sort()).toEqual(['missing-field', 'unknown-key']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a YAML alias bomb is a located yaml-syntax issue of that file, not a crash', async () => {
    const file = join(FIXTURES, 'alias-bomb.yaml');
    const result = await validate([file]);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ rule: 'yaml-syntax', line: await markedLine(file, 'yaml-syntax') });
    expect(resolve(result.issues[0]!.file)).toBe(file);
    expect(result.issues[0]!.message).toMatch(/alias bomb/);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardProfile } from '../../src/boards/schema.js';
import { lockBoard } from '../../src/hil/board-lock.js';
import { htmlReport, timelineBars } from '../../src/hil/html-report.js';
import { junitXml, xmlText } from '../../src/hil/junit.js';
import { emulatedLab, parseLab, resolveTargets, LabValidationError } from '../../src/hil/lab.js';
import { powerCommands, powerController, PowerError } from '../../src/hil/power.js';
import type { HilResult } from '../../src/hil/result.js';
import { parseRunFile, RunFileValidationError, runFileJsonSchema } from '../../src/hil/run-file.js';
import { FakeSpawner } from '../../src/transports/fake/fake-spawner.js';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { knownArtifactIds } from '../../src/workflows/firmware-ids.js';
import { ROOT } from '../helpers/node-env.js';

let profiles: Map<string, BoardProfile>;
beforeAll(async () => {
  const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
  profiles = new Map(registry.list().map((b) => [b.profile.id, b.profile]));
});
const work = mkdtempSync(join(tmpdir(), 'bk-hil-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof RunFileValidationError || err instanceof LabValidationError) return err.issues.map((i) => `${i.line}:${i.col} ${i.rule}`);
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('run files', () => {
  it('every run file in hil/ (and hil/examples/) is valid, and the committed JSON Schema is current', () => {
    const files = [...readdirSync(join(ROOT, 'hil')).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, 'hil', f)), ...readdirSync(join(ROOT, 'hil/examples')).filter((f) => f.endsWith('.yaml') && f !== 'lab.yaml').map((f) => join(ROOT, 'hil/examples', f))];
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(() => parseRunFile(f, readFileSync(f, 'utf8')), f).not.toThrow();
    expect(JSON.parse(readFileSync(join(ROOT, 'hil/run.schema.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(runFileJsonSchema())));
  });

  it('reports every problem at once, each at its file:line:col with a named rule', () => {
    const text = [
      'schema: boardkit-hil/1', // 1
      'name: Bad_Name', // 2
      'targets:', // 3
      '  - name: t1', // 4
      'timeouts: { run: 1m, stage: 2m }', // 5
      'stages:', // 6
      '  - kind: boot', // 7
      '    expect: ["a.*b"]', // 8
      '    colour: red', // 9
      '  - kind: build', // 10
      '    payload: reference', // 11
    ].join('\n');
    const found = issues(() => parseRunFile('bad.yaml', text));
    // Shape problems come first (the file cannot be read further until they are fixed).
    expect(found).toEqual(['2:7 schema', '9:5 schema']);
    const shaped = text.replace('Bad_Name', 'bad').replace('    colour: red\n', '');
    expect(issues(() => parseRunFile('bad.yaml', shaped))).toEqual(['4:5 target-empty', '5:29 timeout-order', '7:5 boot-needs-deploy', '8:14 unbounded-pattern', '9:11 stage-order']);
  });

  it('a deploy of the built payload without a build stage, a netboot of an image, and a target override are each named', () => {
    const base = (stages: string, targets = '  - board: qemu-riscv64-virt') => `schema: boardkit-hil/1\nname: x\ntargets:\n${targets}\nstages:\n${stages}`;
    expect(issues(() => parseRunFile('a.yaml', base('  - kind: deploy\n    method: emulate\n  - kind: boot')))).toEqual(['6:5 deploy-needs-payload']);
    expect(issues(() => parseRunFile('b.yaml', base('  - kind: deploy\n    method: netboot\n    image: x.img')))).toEqual(['6:5 deploy-needs-payload']);
    // A target's own kernel satisfies the deploy for that target only.
    const two = '  - board: x86-kiosk\n    deploy: { kernel: /usr/lib/ipxe/ipxe.efi }\n  - board: qemu-riscv64-virt';
    expect(issues(() => parseRunFile('c.yaml', base('  - kind: deploy\n    method: emulate', two)))).toEqual(['8:5 deploy-needs-payload']);
    expect(() => parseRunFile('d.yaml', base('  - kind: deploy\n    method: emulate\n    boot: firmware-only', two))).not.toThrow();
  });
});

describe('the lab inventory', () => {
  it('validates against the profiles, and resolves targets by board and tags, never one board twice', () => {
    const lab = parseLab(join(ROOT, 'hil/examples/lab.yaml'), readFileSync(join(ROOT, 'hil/examples/lab.yaml'), 'utf8'), profiles);
    expect(lab.boards.map((b) => b.name)).toEqual(['pi4-desk-1', 'unmatched-1', 'riscv-qemu']);
    expect(resolveTargets([{ tags: ['riscv'] }, { tags: ['riscv'] }], lab).map((t) => t.lab.name)).toEqual(['unmatched-1', 'riscv-qemu']);
    expect(() => resolveTargets([{ tags: ['riscv'] }, { tags: ['riscv'] }, { tags: ['riscv'] }], lab)).toThrow(/already a target/);
    expect(() => resolveTargets([{ board: 'rpi3b' }], lab)).toThrow(/no board in the lab .* has board rpi3b/);
    const bad = 'schema: boardkit-lab/1\nboards:\n  - name: a\n    board: rpi9\n  - name: a\n    board: rpi4b\n    emulated: true\n    deploy: [flash]\n';
    expect(issues(() => parseLab('lab.yaml', bad, profiles))).toEqual(['3:5 console-needed', '4:12 unknown-board', '5:11 duplicate-name', '7:15 not-emulatable', '8:13 deploy-needs']);
  });

  it('without a lab file, each emulatable profile is one emulated board powered by QEMU', () => {
    const lab = emulatedLab(profiles);
    expect(lab.boards.map((b) => b.board).sort()).toEqual([...profiles.values()].filter((p) => p.emulation).map((p) => p.id).sort());
    expect(lab.boards.every((b) => b.emulated && b.power.driver === 'qemu')).toBe(true);
  });
});

describe('power drivers', () => {
  it('build argv lists (never a shell string) for command, gpio-relay and uhubctl', () => {
    expect(powerCommands({ driver: 'command', on: ['pdu', 'on'], off: ['pdu', 'off'], 'off-ms': 500 }, 'cycle')).toEqual([['pdu', 'off'], { sleepMs: 500 }, ['pdu', 'on']]);
    expect(powerCommands({ driver: 'gpio-relay', chip: 'gpiochip0', line: 17, 'active-low': true, 'off-ms': 0 }, 'on')).toEqual([['gpioset', 'gpiochip0', '17=0']]);
    expect(powerCommands({ driver: 'uhubctl', hub: '1-1', port: 2, 'off-ms': 0 }, 'off')).toEqual([['uhubctl', '-l', '1-1', '-p', '2', '-a', 'off']]);
  });

  it('a failing power command is an infrastructure error naming the command; a working one runs exactly its argv', async () => {
    const spawner = new FakeSpawner({ tools: ['pdu'] }).onRun('pdu on', { exitCode: 0 }).onRun('pdu off', { exitCode: 1, stderr: 'outlet 3: no answer' });
    const p = powerController('b1', { driver: 'command', on: ['pdu', 'on'], off: ['pdu', 'off'], 'off-ms': 0 }, { spawner });
    await expect(p.apply('on')).resolves.toEqual({ commands: ['pdu on'] });
    const err = await p.apply('off').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PowerError);
    expect((err as PowerError).kind).toBe('infrastructure');
    expect((err as PowerError).message).toContain('pdu off');
    expect(spawner.commandLines()).toEqual(['pdu on', 'pdu off']);
  });

  it('manual power asks the person at the desk, and refuses when nobody can be asked', async () => {
    const asked: string[] = [];
    await powerController('pi', { driver: 'manual' }, { spawner: new FakeSpawner(), ask: async (q) => void asked.push(q) }).apply('cycle');
    expect(asked).toEqual(['Power cycle pi, then press Enter']);
    await expect(powerController('pi', { driver: 'manual' }, { spawner: new FakeSpawner() }).apply('on')).rejects.toThrow(/powered by hand/);
  });
});

describe('per-board locks', () => {
  it('a second run waits for the board; a lock left by a dead process is reclaimed', async () => {
    const dir = join(work, 'locks');
    const first = await lockBoard(dir, 'pi4-desk-1');
    let waitedFor = 0;
    const second = lockBoard(dir, 'pi4-desk-1', { pollMs: 20, onWait: (pid) => (waitedFor = pid) });
    await new Promise((r) => setTimeout(r, 100));
    expect(waitedFor).toBe(process.pid);
    await first.release();
    await (await second).release();
    // A PID that cannot be alive (beyond pid_max) leaves a stale lock.
    writeFileSync(join(dir, 'b2.lock'), '4194305\n');
    await (await lockBoard(dir, 'b2')).release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

function sampleResult(): HilResult {
  return {
    format: 'boardkit-hil-result/1',
    run: 'sample',
    file: 'hil/sample.yaml',
    startedAt: '2026-12-04T10:00:00.000Z',
    durationMs: 12_000,
    interrupted: false,
    ok: false,
    targets: [
      {
        name: 'a',
        board: 'qemu-riscv64-virt',
        labBoard: 'a',
        emulated: true,
        status: 'passed',
        stages: [],
        cases: [{ name: 'boot: marker opensbi', status: 'passed', timeMs: 100 }],
        timeline: [
          { stage: 'opensbi', atMs: 100, line: 'OpenSBI v1.2' },
          { stage: 'u-boot', atMs: 900, line: 'U-Boot 2023.01' },
        ],
        screendumps: [],
        properties: {},
        attempts: 1,
        durationMs: 1000,
      },
      {
        name: 'b',
        board: 'x86-kiosk',
        labBoard: 'b',
        emulated: true,
        status: 'failed',
        stages: [{ kind: 'boot', status: 'failed', startMs: 0, durationMs: 3000, detail: 'x' }],
        cases: [{ name: 'boot: marker payload <&>', status: 'failed', timeMs: 2000, message: 'not seen', detail: 'a \u0001 control byte' }],
        timeline: [{ stage: 'uefi', atMs: 1000, line: 'BdsDxe' }],
        failingLine: 'PANIC here',
        screendumps: [],
        properties: { 'image-sha256': 'ab' },
        attempts: 2,
        durationMs: 3000,
      },
    ],
  };
}

describe('reports', () => {
  it('JUnit escapes markup and drops bytes XML cannot carry; xmllint reads it', () => {
    expect(xmlText('a<b>&"\u0001\u001b[0m')).toBe('a&lt;b&gt;&amp;&quot;\ufffd\ufffd[0m');
    const file = join(work, 'junit.xml');
    const xml = junitXml(sampleResult());
    writeFileSync(file, xml);
    expect(execFileSync('xmllint', ['--noout', file], { encoding: 'utf8' })).toBe('');
    expect(xml).toContain('<failure message="not seen" type="boot">a \ufffd control byte</failure>');
  });

  it('the HTML report makes no external request and marks the failing console line', () => {
    const html = htmlReport(sampleResult(), { consoleText: { b: 'line 1\nPANIC here\nline 3' } });
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<mark class="failing">PANIC here</mark>');
    const bars = timelineBars(sampleResult());
    expect(bars.map((b) => `${b.target}:${b.stage}:${b.status}`)).toEqual(['a:opensbi:passed', 'a:u-boot:passed', 'b:uefi:passed', 'b:failed here:failed']);
  });
});

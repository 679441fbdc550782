import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layoutJsonSchema, LayoutValidationError, parseLayoutFile } from '../../src/image/layout-file.js';
import { loadBoardRegistry } from '../../src/workflows/boards.js';
import { knownArtifactIds } from '../../src/workflows/firmware-ids.js';
import { buildImage } from '../../src/workflows/image-build.js';
import { ROOT } from '../helpers/node-env.js';

const work = mkdtempSync(join(tmpdir(), 'bk-layout-file-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const issues = (text: string) => {
  try {
    parseLayoutFile('my.yaml', text);
  } catch (e) {
    if (e instanceof LayoutValidationError) return e.issues.map((i) => `${i.line}:${i.col} ${i.rule}`);
    throw e;
  }
  return [];
};

describe('user layout files', () => {
  it('layouts/layout.schema.json is the schema generated from src/image/layout-file.ts, and the example layout validates', () => {
    const onDisk = JSON.parse(readFileSync(join(ROOT, 'layouts', 'layout.schema.json'), 'utf8'));
    expect(onDisk, 'regenerate: npm run build && node -e "import(\'./dist/image/layout-file.js\').then((m) => console.log(JSON.stringify(m.layoutJsonSchema(), null, 2)))" > layouts/layout.schema.json').toEqual(layoutJsonSchema());
    const example = parseLayoutFile('two-partition-gpt.yaml', readFileSync(join(ROOT, 'layouts', 'two-partition-gpt.yaml'), 'utf8'));
    expect(example.partitions.map((p) => p.name)).toEqual(['ESP', 'data']);
  });

  it('reports every problem at once with line, column and rule', () => {
    const text = [
      'id: mine', //                               1
      'table: gpt', //                             2
      'colour: blue', //                           3  unknown key
      'partitions:', //                            4
      '  - name: a', //                            5
      '    type: banana', //                       6  unknown type
      '    offset: 1M', //                         7
      '    size: 8M', //                           8
      '    content: { kind: empty }', //           9
      '  - name: b', //                           10
      '    type: linux', //                       11
      '    offset: 5M', //                        12  overlaps a
      '    size: fill', //                        13
      '    content: { kind: empty }', //          14
      '',
    ].join('\n');
    expect(issues(text)).toEqual(['1:1 schema']);
    const fixed = text.replace('colour: blue\n', '');
    expect(issues(fixed)).toEqual(['5:11 unknown-partition-type', '11:13 partitions-overlap']);
  });

  it('sizes take sector and binary-unit suffixes; a valid file builds an image sgdisk accepts', async () => {
    const yaml = [
      'id: two-part',
      'table: gpt',
      'partitions:',
      '  - { name: boot, type: esp, offset: 2048s, size: 40M, content: { kind: fat, fatType: 32, label: BOOT, files: [ { to: EFI/BOOT/BOOTX64.EFI, from: { kind: payload } } ] } }',
      '  - { name: data, type: linux, size: fill, content: { kind: empty } }',
      '',
    ].join('\n');
    const l = parseLayoutFile('ok.yaml', yaml);
    expect(l.partitions[0]!.offset).toBe(1 << 20);
    const file = join(work, 'two.yaml');
    writeFileSync(file, yaml);
    const pay = join(work, 'app.efi');
    writeFileSync(pay, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1000, 1)]));
    const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
    const img = join(work, 'two.img');
    await buildImage(registry, { board: 'x86-kiosk', payload: pay, layout: file, output: img, size: 64 << 20, sourceDateEpoch: 0 });
    expect(execFileSync('sgdisk', ['-v', img], { encoding: 'utf8' })).toContain('No problems found');
    const parts = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable.partitions;
    expect(parts.map((p: { name: string; start: number }) => [p.name, p.start])).toEqual([['boot', 2048], ['data', 2048 + 40 * 2048]]);
  });
});

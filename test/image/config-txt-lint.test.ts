import { describe, expect, it } from 'vitest';
import { lintConfigTxt, type ConfigTxtFacts } from '../../src/image/config-txt-lint.js';

const facts: ConfigTxtFacts = { arch: 'aarch64', loadAddress: 0x80000, files: ['bootcode.bin', 'start.elf', 'config.txt', 'kernel8.img', 'overlays/disable-bt.dtbo'], uartNeeds: ['enable_uart=1'] };
const rules = (text: string, f: Partial<ConfigTxtFacts> = {}) => lintConfigTxt(text, { ...facts, ...f }).map((x) => `${x.line} ${x.rule}`);

describe('config.txt linter', () => {
  it('a consistent config has no findings', () => {
    expect(rules('arm_64bit=1\nkernel=kernel8.img\nkernel_address=0x80000\nenable_uart=1\ndtoverlay=disable-bt\n')).toEqual([]);
  });

  it('names each rule with its line', () => {
    const text = ['# test', 'arm_64bit=0', 'kernel=missing.img', 'kernel_address=0x200000', 'enable_uart=0', 'dtoverlay=miniuart-bt,foo=1', 'device_tree=bcm2710-rpi-3-b.dtb', ''].join('\n');
    expect(rules(text).sort()).toEqual(['2 arm-64bit-mismatch', '3 kernel-missing', '4 kernel-address-mismatch', '5 uart-contradicts-drivers', '6 dtb-missing', '7 dtb-missing'].sort());
  });

  it('the last assignment wins; a missing kernel= means kernel8.img; a missing UART setting is reported at line 0', () => {
    expect(rules('enable_uart=0\nenable_uart=1\n')).toEqual([]);
    expect(rules('enable_uart=1\n', { files: ['config.txt'] })).toEqual(['0 kernel-missing']);
    expect(rules('arm_64bit=1\n')).toEqual(['0 uart-contradicts-drivers']);
  });
});

describe('every Raspberry Pi profile gives a config.txt the linter accepts', async () => {
  const { join } = await import('node:path');
  const { loadBoardRegistry } = await import('../../src/workflows/boards.js');
  const { knownArtifactIds } = await import('../../src/workflows/firmware-ids.js');
  const { planImageBuild } = await import('../../src/workflows/image-build.js');
  const { ROOT } = await import('../helpers/node-env.js');
  const registry = await loadBoardRegistry({ boardDirs: [join(ROOT, 'boards')], knownArtifacts: await knownArtifactIds(join(ROOT, 'firmware-manifests')) });
  const pis = registry.list().filter((e) => e.profile.bootProtocol === 'rpi-firmware');
  it.each(pis.map((e) => e.profile.id))('%s: plans an rpi-mbr-fat32 image', (board) => {
    const profile = registry.get(board).profile;
    const firmware = profile.bootChain.filter((s) => s.kind === 'firmware').flatMap((s) => s.artifacts ?? []).map((id) => ({ id, name: `${id}.bin`, path: '/dev/null', size: 0 }));
    const plan = planImageBuild(registry, { board, payload: 'k.bin', output: 'x.img', sourceDateEpoch: 0, layout: 'rpi-mbr-fat32' }, { path: 'k.bin', size: 1000, head: new Uint8Array(64), crc32: 0, sha256: '' }, firmware);
    expect(plan.partitions[0]!.files.map((f) => f.path)).toContain('config.txt');
  });
  it('there are Pi profiles to check', () => expect(pis.length).toBeGreaterThanOrEqual(4));
});

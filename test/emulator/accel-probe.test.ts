import { readFileSync } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestMatchesHost, kvmProbeImage, probeKvm, timeoutMultiplier, type KvmProbeOptions } from '../../src/emulator/accel-probe.js';
import { FakeChild, FakeSpawner } from '../../src/transports/fake/fake-spawner.js';
import { NodeSpawner } from '../../src/transports/node/node-spawner.js';

const spawner = new NodeSpawner();
const haveX86 = (await spawner.which('qemu-system-x86_64')) !== undefined;
const haveKvmDevice = await access('/dev/kvm').then(() => true, () => false);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bk-kvm-probe-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!haveX86)('KVM probe', () => {
  it('the probe guest really runs to its exit port (under TCG, the oracle that the image is valid)', async () => {
    const bios = join(dir, 'probe.bin');
    await writeFile(bios, kvmProbeImage());
    const r = await spawner.run(
      'qemu-system-x86_64',
      ['-nodefaults', '-display', 'none', '-machine', 'pc', '-accel', 'tcg', '-m', '16', '-bios', bios, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'],
      { timeoutMs: 10_000 },
    );
    // isa-debug-exit: exit status (0x42 << 1) | 1; 3 would mean the guest's own checks failed.
    expect(r.exitCode).toBe(133);
  });

  it('gives a definite answer within a few seconds and caches it', async () => {
    const cacheDir = join(dir, 'cache');
    const t0 = Date.now();
    const first = await probeKvm({ spawner, cacheDir, refresh: true });
    const ms = Date.now() - t0;
    expect(['kvm', 'tcg']).toContain(first.accel);
    expect(first.cached).toBe(false);
    expect(ms).toBeLessThan(5000);
    const file = JSON.parse(await readFile(join(cacheDir, 'kvm-probe.json'), 'utf8')) as { accel: string };
    expect(file.accel).toBe(first.accel);
    const t1 = Date.now();
    const second = await probeKvm({ spawner, cacheDir });
    expect(second).toMatchObject({ accel: first.accel, cached: true });
    expect(Date.now() - t1).toBeLessThan(200);
    console.info(`KVM probe: ${first.accel} (${first.reason}) in ${ms} ms`);
  }, 15_000);

  // Whatever this host is (KVM working, broken, or absent), the answer must be consistent with
  // how it was reached: the probe's contract, not this machine's state.
  it('the real probe answers kvm only for a guest that ran, and tcg with a reason otherwise', async () => {
    const r = await probeKvm({ spawner, cacheDir: join(dir, 'cache2'), refresh: true });
    expect(r.cached).toBe(false);
    expect(r.reason.length).toBeGreaterThan(0);
    if (r.accel === 'kvm') {
      expect(haveKvmDevice).toBe(true);
      expect(r.reason).toMatch(/^probe guest ran under KVM in \d+ ms$/);
      expect(r.probeMs).toBeGreaterThanOrEqual(0);
    } else {
      expect(r.accel).toBe('tcg');
      if (!haveKvmDevice) expect(r.reason).toBe('/dev/kvm is missing or not accessible');
      else expect(r.reason).not.toMatch(/ran under KVM/);
    }
  }, 15_000);
});

describe('KVM probe decisions (fake spawner)', () => {
  let kvmDevice: string;
  beforeAll(async () => {
    kvmDevice = join(dir, 'kvm'); // stands in for /dev/kvm: present and read-write
    await writeFile(kvmDevice, '');
  });
  const qemu = () => new FakeSpawner({ tools: ['qemu-system-x86_64'] });
  const probe = (fake: FakeSpawner, extra: Partial<KvmProbeOptions> = {}) =>
    probeKvm({ spawner: fake, cacheDir: join(dir, `fake-${Math.random().toString(16).slice(2)}`), refresh: true, kvmDevice, hostArch: 'x64', ...extra });

  it('boots the probe image under KVM and says kvm when the guest reaches its exit port (exit 133)', async () => {
    const fake = qemu();
    let bios: Buffer | undefined;
    fake.onSpawn('qemu-system-x86_64', (call) => {
      bios = readFileSync(call.args[call.args.indexOf('-bios') + 1]!);
      const child = new FakeChild();
      setTimeout(() => child.exit(133), 5);
      return child;
    });
    const r = await probe(fake);
    expect(r).toMatchObject({ accel: 'kvm', cached: false });
    expect(r.reason).toMatch(/ran under KVM/);
    expect(fake.calls).toHaveLength(1);
    const args = fake.calls[0]!.args;
    expect(args[args.indexOf('-accel') + 1]).toBe('kvm');
    expect(args).toContain('isa-debug-exit,iobase=0xf4,iosize=4');
    expect(new Uint8Array(bios!)).toEqual(kvmProbeImage());
  });

  it('a KVM internal error on stderr (QEMU pauses the guest) gives tcg at once, the error as the reason, and kills QEMU', async () => {
    const fake = qemu();
    const child = new FakeChild({ diesOf: ['SIGKILL'] });
    fake.onSpawn('qemu-system-x86_64', () => {
      setTimeout(() => child.stderr.write('KVM internal error. Suberror: 1\nextra data: 0\n'), 5);
      return child;
    });
    const t0 = Date.now();
    const r = await probe(fake, { deadlineMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.accel).toBe('tcg');
    expect(r.reason).toBe('KVM internal error. Suberror: 1');
    expect(child.signals).toEqual(['SIGKILL']);
  });

  it('a guest that never finishes is killed at the deadline: tcg', async () => {
    const fake = qemu();
    const child = new FakeChild({ diesOf: ['SIGKILL'] });
    fake.onSpawn('qemu-system-x86_64', child);
    const r = await probe(fake, { deadlineMs: 50 });
    expect(r).toMatchObject({ accel: 'tcg', reason: 'probe guest did not finish within 50 ms' });
    expect(child.signals).toEqual(['SIGKILL']);
  });

  it("a guest whose own checks failed (exit 3) is not KVM, and the reason names QEMU's last words", async () => {
    const fake = qemu();
    fake.onSpawn('qemu-system-x86_64', () => {
      const child = new FakeChild();
      setTimeout(() => {
        child.stderr.write('qemu: something odd\n');
        setTimeout(() => child.exit(3), 5);
      }, 5);
      return child;
    });
    const r = await probe(fake);
    expect(r.accel).toBe('tcg');
    expect(r.reason).toBe('probe guest exited 3: qemu: something odd');
  });

  it('does not start QEMU when the answer is known without it', async () => {
    const notX86 = qemu();
    expect(await probe(notX86, { hostArch: 'arm64' })).toMatchObject({ accel: 'tcg', reason: 'host is arm64, the probe guest is x86' });
    const noDevice = qemu();
    expect(await probe(noDevice, { kvmDevice: join(dir, 'no-such-kvm') })).toMatchObject({ accel: 'tcg', reason: '/dev/kvm is missing or not accessible' });
    const noQemu = new FakeSpawner();
    expect(await probe(noQemu)).toMatchObject({ accel: 'tcg', reason: 'qemu-system-x86_64 is not installed' });
    expect([...notX86.calls, ...noDevice.calls, ...noQemu.calls]).toEqual([]);
  });

  it('caches the answer per host: a second call does not boot, refresh boots again', async () => {
    const fake = qemu();
    fake.onSpawn('qemu-system-x86_64', () => {
      const child = new FakeChild();
      setTimeout(() => child.exit(133), 5);
      return child;
    });
    const cacheDir = join(dir, 'fake-cache');
    const first = await probeKvm({ spawner: fake, cacheDir, refresh: true, kvmDevice, hostArch: 'x64' });
    const second = await probeKvm({ spawner: fake, cacheDir, kvmDevice, hostArch: 'x64' });
    expect(second).toEqual({ accel: first.accel, reason: first.reason, cached: true });
    expect(fake.calls).toHaveLength(1);
    await probeKvm({ spawner: fake, cacheDir, refresh: true, kvmDevice, hostArch: 'x64' });
    expect(fake.calls).toHaveLength(2);
  });
});

describe('timeout multiplier and host match', () => {
  it('is 1 under KVM, 4 under TCG, and the env var wins', () => {
    expect(timeoutMultiplier('kvm', {})).toBe(1);
    expect(timeoutMultiplier('tcg', {})).toBe(4);
    expect(timeoutMultiplier('tcg', { BOARDKIT_TIMEOUT_MULTIPLIER: '7.5' })).toBe(7.5);
    expect(timeoutMultiplier('kvm', { BOARDKIT_TIMEOUT_MULTIPLIER: 'nonsense' })).toBe(1);
  });
  it('only offers KVM for the host architecture', () => {
    expect(guestMatchesHost('qemu-system-x86_64', 'x64')).toBe(true);
    expect(guestMatchesHost('qemu-system-riscv64', 'x64')).toBe(false);
    expect(guestMatchesHost('/usr/bin/qemu-system-aarch64', 'arm64')).toBe(true);
  });
});

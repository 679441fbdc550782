import { access, mkdir, mkdtemp, readFile, rm, writeFile, constants } from 'node:fs/promises';
import { arch, hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spawner } from '../transports/spawner.js';
import { defaultCacheDir } from '../core/cache-dir.js';

/**
 * Whether KVM really works on this host. `/dev/kvm` can exist and QMP `query-kvm` can say
 * "enabled" while every real guest dies with "KVM internal error. Suberror: 1" (nested
 * virtualisation that cannot emulate an IRET from ROM, seen on this project's CI machines). So the
 * probe boots a tiny x86 guest under a 2 s deadline and caches the answer per host.
 */
export type Accel = 'kvm' | 'tcg';

export interface KvmProbeResult {
  accel: Accel;
  /** Why, in words (for `boardkit doctor` and logs). */
  reason: string;
  /** True when the answer came from the cache file. */
  cached: boolean;
  /** Wall time of the probe boot, when one ran. */
  probeMs?: number;
}

export interface KvmProbeOptions {
  spawner: Spawner;
  /** Where the answer is cached. Default `$XDG_CACHE_HOME/boardkit` or `~/.cache/boardkit`. */
  cacheDir?: string;
  /** Ignore the cache and probe again. */
  refresh?: boolean;
  /** Deadline for the probe guest. Default 2000 ms. */
  deadlineMs?: number;
  kvmDevice?: string;
  /** The host's CPU architecture as Node names it. Default `os.arch()`. */
  hostArch?: string;
}

/**
 * The probe guest: a 64 KiB BIOS image. Real mode at the reset vector → lgdt → protected mode →
 * flat segments → bswap check → lidt → `int 0x20` whose handler `iretl`s → out 0x42 to
 * isa-debug-exit at 0xf4, so QEMU exits with (0x42 << 1) | 1 = 133 (QEMU hw/misc/debugexit.c).
 * Any failure path writes 0x01 (exit 3). The interrupt round trip from ROM is what the broken
 * hosts cannot do (U-Boot's x86 SPL dies on its first `iretl` there). Source, assembled with
 * `clang -target i386-none-elf -c` + `objcopy -O binary` (CS base is 0xFFFF0000 after reset):
 *
 *   .code16; start: cli; lgdtl %cs:gdtr-start; mov %cr0,%eax; or $1,%eax; mov %eax,%cr0
 *            ljmpl $0x08, $(0xFFFF0000+pm32-start)
 *   .code32; pm32: mov $0x10,%ax; mov %ax,%ds; mov %ax,%es; mov %ax,%ss
 *            mov $0x12345678,%edi; bswap %edi; cmp $0x78563412,%edi; jne fail
 *            mov $0x7000,%esp; lidtl (0xFFFF0000+idtr-start); int $0x20; cmp $0x5a5a,%esi; jne fail
 *            push %edi; pop %ebx; cmp %ebx,%edi; jne fail; mov $0x42,%al; out %al,$0xf4
 *   fail:    mov $0x01,%al; out %al,$0xf4; hlt
 *   handler: mov $0x5a5a,%esi; iretl
 *   idt:     .fill 32,8,0; .word handler-start, 0x08, 0x8e00, 0xffff     # at 0x160
 *   idtr:    .word 33*8-1; .long 0xFFFF0000+idt-start
 *   gdt:     .quad 0, 0x00cf9b000000ffff, 0x00cf93000000ffff
 *   gdtr:    .word gdtr-gdt-1; .long 0xFFFF0000+gdt-start
 *   .org 0xfff0: jmp start; .org 0x10000, 0xf4
 */
const PROBE_CODE_HEX =
  'fa2e660f011688010f20c06683c8010f22c066ea1a00ffff080066b810008ed88ec08ed0bf785634120fcf81ff123456787520bc0070' +
  '00000f011d6801ffffcd2081fe5a5a0000750a575b39df7504b042e6f4b001e6f4f4be5a5a0000cf9090';
/** IDT entry 0x20 (interrupt gate, selector 8, handler at 0xffff0058), IDTR, GDT, GDTR. */
const PROBE_TABLES_OFFSET = 0x160;
const PROBE_TABLES_HEX =
  '58000800008effff07016000ffff90900000000000000000ffff0000009bcf00ffff00000093cf0017007001ffff';
const PROBE_EXIT_OK = 133;

export function kvmProbeImage(): Uint8Array {
  const img = new Uint8Array(0x10000);
  img.set(Buffer.from(PROBE_CODE_HEX, 'hex'), 0);
  img.set(Buffer.from(PROBE_TABLES_HEX, 'hex'), PROBE_TABLES_OFFSET);
  // Reset vector F000:FFF0: `jmp near 0x0000` (E9 rel16 = 0x10000 - 0xfff3), then hlt padding.
  img.set([0xe9, 0x0d, 0x00], 0xfff0);
  img.fill(0xf4, 0xfff3);
  return img;
}


interface CacheRecord {
  accel: Accel;
  reason: string;
  host: string;
  kernel: string;
  at: string;
}

/** Probes (or reads the cached answer): can x86_64 guests use KVM on this host? */
export async function probeKvm(options: KvmProbeOptions): Promise<KvmProbeResult> {
  const cacheFile = join(options.cacheDir ?? defaultCacheDir(), 'kvm-probe.json');
  if (!options.refresh) {
    const cached = await readCache(cacheFile);
    if (cached) return { accel: cached.accel, reason: cached.reason, cached: true };
  }
  const result = await runProbe(options);
  const record: CacheRecord = { accel: result.accel, reason: result.reason, host: hostname(), kernel: release(), at: new Date().toISOString() };
  await mkdir(join(cacheFile, '..'), { recursive: true });
  await writeFile(cacheFile, `${JSON.stringify(record, null, 2)}\n`);
  return result;
}

async function readCache(file: string): Promise<CacheRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(file, 'utf8')) as CacheRecord;
    // A cache copied to (or surviving on) another host or kernel says nothing about this one.
    if (rec.host !== hostname() || rec.kernel !== release()) return undefined;
    if (rec.accel !== 'kvm' && rec.accel !== 'tcg') return undefined;
    return rec;
  } catch {
    return undefined;
  }
}

async function runProbe(options: KvmProbeOptions): Promise<KvmProbeResult> {
  const hostArch = options.hostArch ?? arch();
  if (hostArch !== 'x64') return { accel: 'tcg', reason: `host is ${hostArch}, the probe guest is x86`, cached: false };
  try {
    await access(options.kvmDevice ?? '/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible', cached: false };
  }
  if (!(await options.spawner.which('qemu-system-x86_64'))) {
    return { accel: 'tcg', reason: 'qemu-system-x86_64 is not installed', cached: false };
  }
  const dir = await mkdtemp(join(tmpdir(), 'boardkit-kvm-probe-'));
  try {
    const bios = join(dir, 'probe.bin');
    await writeFile(bios, kvmProbeImage());
    const started = Date.now();
    const deadline = options.deadlineMs ?? 2000;
    const child = await options.spawner.spawn(
      'qemu-system-x86_64',
      ['-nodefaults', '-display', 'none', '-machine', 'pc', '-accel', 'kvm', '-m', '16', '-bios', bios,
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'],
      { stdio: 'pipe' },
    );
    let stderr = '';
    let verdict: string | undefined;
    // On a KVM internal error QEMU pauses the VM instead of exiting: stop it as soon as it says so.
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      if (!verdict && /KVM internal error|emulation failure|Could not access KVM|failed to initialize kvm/i.test(stderr)) {
        verdict = stderr.split('\n').find((l) => /kvm|emulation failure/i.test(l))?.trim() ?? 'KVM error';
        child.kill('SIGKILL');
      }
    });
    child.stdout?.on('data', () => {});
    const timer = setTimeout(() => {
      verdict ??= `probe guest did not finish within ${deadline} ms`;
      child.kill('SIGKILL');
    }, deadline);
    const exit = await child.exited;
    clearTimeout(timer);
    const probeMs = Date.now() - started;
    if (!verdict && exit.exitCode === PROBE_EXIT_OK) return { accel: 'kvm', reason: `probe guest ran under KVM in ${probeMs} ms`, cached: false, probeMs };
    return { accel: 'tcg', reason: verdict ?? `probe guest exited ${exit.exitCode ?? exit.signal}: ${stderr.trim().split('\n').pop() ?? ''}`, cached: false, probeMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** KVM is only usable when the guest architecture is the host's. */
export function guestMatchesHost(binary: string, hostArch: string = arch()): boolean {
  const guest = /qemu-system-(\w+)$/.exec(binary)?.[1];
  const map: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', riscv64: 'riscv64' };
  return guest !== undefined && map[guest] === hostArch;
}

/**
 * Profile timeouts are for real hardware; scale them under emulation. KVM 1×, TCG 4× (3–10× slower
 * on a busy 2-core machine). `BOARDKIT_TIMEOUT_MULTIPLIER` overrides both.
 */
export function timeoutMultiplier(accel: Accel, env: NodeJS.ProcessEnv = process.env): number {
  const override = Number.parseFloat(env.BOARDKIT_TIMEOUT_MULTIPLIER ?? '');
  if (Number.isFinite(override) && override > 0) return override;
  return accel === 'kvm' ? 1 : 4;
}

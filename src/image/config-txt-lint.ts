/**
 * config.txt linter (Raspberry Pi firmware, https://www.raspberrypi.com/documentation/computers/config_txt.html).
 * Pure: the text, the files on the boot partition and the board's facts in, named findings out.
 *
 * Rules:
 * - `kernel-missing`: the kernel config.txt names (`kernel=`, else kernel8.img) is not on the partition;
 * - `dtb-missing`: `device_tree=FILE` or `dtoverlay=NAME` (overlays/NAME.dtbo) is not on the partition;
 * - `arm-64bit-mismatch`: a 64-bit payload with `arm_64bit=0` (the firmware starts the ARM in AArch32);
 * - `kernel-address-mismatch`: `kernel_address` is not where the payload is linked;
 * - `uart-contradicts-drivers`: a setting the console UART's driver needs (e.g. `enable_uart=1`) is
 *   absent or set otherwise.
 */

export interface ConfigTxtFacts {
  arch: string;
  loadAddress: number | undefined;
  /** Paths on the boot partition, without a leading slash. */
  files: readonly string[];
  /** `key=value` lines the console UART's driver needs (from the profile's driver set). */
  uartNeeds: readonly string[];
}

export interface ConfigTxtFinding {
  rule: 'kernel-missing' | 'dtb-missing' | 'arm-64bit-mismatch' | 'kernel-address-mismatch' | 'uart-contradicts-drivers';
  /** 1-based line in config.txt (0: the setting is absent). */
  line: number;
  message: string;
}

/** The effective settings: the last assignment of each key wins (as in the firmware); `[filters]` are ignored. */
function settings(text: string): Map<string, { value: string; line: number; all: Array<{ value: string; line: number }> }> {
  const out = new Map<string, { value: string; line: number; all: Array<{ value: string; line: number }> }>();
  text.split('\n').forEach((raw, i) => {
    const l = raw.replace(/#.*/, '').trim();
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(l);
    if (!m) return;
    const e = out.get(m[1]!) ?? { value: '', line: 0, all: [] };
    e.value = m[2]!;
    e.line = i + 1;
    e.all.push({ value: m[2]!, line: i + 1 });
    out.set(m[1]!, e);
  });
  return out;
}

const REPEATABLE = new Set(['dtoverlay', 'dtparam', 'gpio']);

export function lintConfigTxt(text: string, facts: ConfigTxtFacts): ConfigTxtFinding[] {
  const s = settings(text);
  const have = new Set(facts.files.map((f) => f.replace(/^\/+/, '').toLowerCase()));
  const out: ConfigTxtFinding[] = [];
  const kernel = s.get('kernel');
  const kernelName = kernel?.value ?? 'kernel8.img';
  if (!have.has(kernelName.toLowerCase())) out.push({ rule: 'kernel-missing', line: kernel?.line ?? 0, message: `the kernel '${kernelName}' is not on the boot partition` });
  const dt = s.get('device_tree');
  if (dt && dt.value && !have.has(dt.value.toLowerCase())) out.push({ rule: 'dtb-missing', line: dt.line, message: `device_tree '${dt.value}' is not on the boot partition` });
  for (const o of s.get('dtoverlay')?.all ?? []) {
    const name = o.value.split(/[,:]/)[0]!.trim();
    if (name && !have.has(`overlays/${name}.dtbo`.toLowerCase())) out.push({ rule: 'dtb-missing', line: o.line, message: `overlay '${name}' (overlays/${name}.dtbo) is not on the boot partition` });
  }
  const a64 = s.get('arm_64bit');
  if (facts.arch === 'aarch64' && a64 && a64.value.trim() === '0') out.push({ rule: 'arm-64bit-mismatch', line: a64.line, message: 'the payload is 64-bit (aarch64) but arm_64bit=0 starts the ARM in AArch32' });
  const ka = s.get('kernel_address');
  if (ka && facts.loadAddress !== undefined && Number(ka.value) !== facts.loadAddress) {
    out.push({ rule: 'kernel-address-mismatch', line: ka.line, message: `kernel_address=${ka.value} but the payload is linked at 0x${facts.loadAddress.toString(16)}` });
  }
  for (const need of facts.uartNeeds) {
    const [k, v] = need.split('=', 2) as [string, string | undefined];
    if (v === undefined) continue;
    const got = s.get(k.trim());
    // dtoverlay, dtparam and gpio accumulate: any line will do; other keys: the last one wins.
    const ok = REPEATABLE.has(k.trim()) ? (got?.all ?? []).some((e) => e.value.trim() === v.trim()) : got?.value.trim() === v.trim();
    if (!ok) out.push({ rule: 'uart-contradicts-drivers', line: got?.line ?? 0, message: `the console UART's driver needs ${need}${got ? `, config.txt says ${k}=${got.value}` : ', config.txt does not set it'}` });
  }
  return out;
}

import type { LoadedProfile } from '../../boards/registry.js';
import { DRIVER_KINDS, type BoardProfile } from '../../boards/schema.js';
import { formatBytes, hex } from '../../core/units.js';
import { renderTable } from './table.js';

/** One line per board for `boards list`. */
export function renderBoardList(entries: readonly LoadedProfile[]): string {
  const rows = entries.map(({ profile: p }) => [
    p.id,
    p.arch,
    p.soc ?? '',
    `${p.console.type}@${hex(p.console.base)}`,
    p.emulation ? `${p.emulation.qemu.machine}` : '-',
    p.flash.map((f) => f.method).join(','),
    p.name,
  ]);
  return renderTable(['ID', 'ARCH', 'SOC', 'CONSOLE', 'QEMU', 'FLASH', 'NAME'], rows);
}

/** The facts a person reads about a board, in the order they need them. */
export function renderBoard(entry: LoadedProfile): string {
  const p: BoardProfile = entry.profile;
  const out: string[] = [];
  out.push(`${p.name} (${p.id})${entry.chain.length > 1 ? `  extends ${entry.chain.slice(1).join(' -> ')}` : ''}`);
  if (p.description) out.push(`  ${p.description}`);
  out.push(`  arch ${p.arch}, cpu ${p.cpu}${p.soc ? `, soc ${p.soc}` : ''}, boot protocol ${p.bootProtocol}`);
  out.push('');
  out.push('Console');
  out.push(
    `  ${p.console.uart} (${p.console.type}) at ${hex(p.console.base)}, ${p.console.baud} ${p.console.format ?? '8N1'}` +
      `${p.console.osName ? `, OS name ${p.console.osName}` : ''}${p.console.pins ? `, GPIO ${p.console.pins.join('/')}` : ''}`,
  );
  out.push('');
  out.push('Memory');
  out.push(`  RAM ${hex(p.memory.ram.base)} + ${formatBytes(p.memory.ram.size)}${p.memory.loadAddress !== undefined ? `, load address ${hex(p.memory.loadAddress)}` : ''}`);
  for (const r of p.memory.regions) out.push(`  ${r.kind.padEnd(9)} ${hex(r.base, 8).padEnd(14)} ${formatBytes(r.size).padStart(9)}  ${r.name}`);
  out.push('');
  out.push('Boot chain');
  for (const s of p.bootChain)
    out.push(`  ${s.stage} (${s.kind})${s.artifacts ? ` [${s.artifacts.join(', ')}]` : ''}${s.loadsFrom ? ` loads from ${s.loadsFrom.join(', ')}` : ''}`);
  if (p.firmwareConfig && p.firmwareConfig.entries.length) out.push(`  ${p.firmwareConfig.format}: ${p.firmwareConfig.entries.join('; ')}`);
  out.push('');
  out.push('Driver sets');
  for (const kind of DRIVER_KINDS) {
    const e = p.drivers[kind];
    if (e.unsupported !== undefined) {
      out.push(`  ${kind.padEnd(11)} unsupported: ${e.unsupported}`);
      continue;
    }
    for (const c of e.controllers ?? []) {
      const where = c.io === 'firmware' ? 'firmware' : c.io === 'port' ? `io ${hex(c.base ?? 0)}` : hex(c.base ?? 0);
      const cfg = c.firmwareConfig?.length ? ` (${c.firmwareConfig.join(', ')})` : '';
      out.push(`  ${kind.padEnd(11)} ${c.name} ${c.compatible} @ ${where}${cfg}`);
    }
  }
  out.push('');
  out.push('Storage and flashing');
  out.push(`  media ${p.storage.media.join(', ')}; ${p.storage.table} layout ${p.storage.layout}`);
  for (const f of p.flash) out.push(`  flash: ${f.method}${f.notes ? ` - ${f.notes}` : ''}`);
  if (p.netboot)
    out.push(
      `  netboot: ${p.netboot.protocols.join('+')}, boot file ${p.netboot.bootFile}${p.netboot.vendorClass ? `, vendor class ${p.netboot.vendorClass}` : ''}` +
        `${p.netboot.clientArch !== undefined ? `, client arch ${p.netboot.clientArch}` : ''}`,
    );
  out.push('');
  out.push('Emulation');
  if (!p.emulation) out.push('  none (no QEMU machine models this board)');
  else {
    const q = p.emulation.qemu;
    out.push(`  ${q.binary} -M ${q.machine}${q.cpu ? ` -cpu ${q.cpu}` : ''} -m ${q.memory}${q.smp ? ` -smp ${q.smp}` : ''}${q.nodefaults ? ' -nodefaults' : ''}`);
    out.push(`  serial: ${p.emulation.serial.map((s) => `${s.index}=${s.uart}${s.uart === p.console.uart ? ' (console)' : ''}`).join(', ')}`);
    for (const [mode, m] of Object.entries(p.emulation.modes)) {
      if (!m) continue;
      const parts = [m.bios ? `bios ${m.bios}` : '', m.kernel ? `kernel ${m.kernel}` : '', m.pflash ? `pflash ${m.pflash.join(',')}` : '', m.drive !== 'none' ? `drive ${m.drive}` : ''].filter(Boolean);
      out.push(`  mode ${mode}: ${parts.join(', ')}; expects ${m.markers.join(' -> ')}`);
    }
    for (const qk of p.emulation.quirks) out.push(`  quirk ${qk.kind}${'option' in qk ? ` ${qk.option}` : ''}${'lines' in qk ? ` lines ${qk.lines.join(',')}` : ''}: ${qk.reason}`);
    for (const inf of p.emulation.infidelities) out.push(`  not faithful: ${inf}`);
  }
  out.push('');
  out.push('Boot verification');
  for (const m of p.verify.markers) out.push(`  ${m.stage.padEnd(11)} /${m.pattern}/ within ${m.timeoutMs} ms`);
  for (const f of p.verify.failures) out.push(`  fail on ${f.name}: /${f.pattern}/${f.after ? ` after ${f.after}` : ''}`);
  return out.join('\n');
}

import { checkBoundedPattern } from '../core/bounded-pattern.js';
import { hex } from '../core/units.js';
import { DRIVER_KINDS, type BoardProfile, type DriverEntry } from './schema.js';
import type { PathSegment } from './yaml-source.js';

/** What semantic rules may know beyond the profile itself. */
export interface RuleContext {
  /** Ids of every artefact in firmware-manifests/ (undefined: the artefact rule is skipped). */
  knownArtifacts?: ReadonlySet<string>;
}

export interface RuleFinding {
  path: PathSegment[];
  message: string;
  /** Point at the key rather than the value. */
  key?: boolean;
}

export interface ProfileRule {
  name: string;
  description: string;
  check(profile: BoardProfile, ctx: RuleContext): RuleFinding[];
}

/** Rules about the file or its shape, reported by the loader (not by a check function). */
export const STRUCTURAL_RULES = [
  { name: 'yaml-syntax', description: 'the file is not valid YAML, or its aliases expand too far (an alias bomb)' },
  { name: 'unknown-key', description: 'a key the schema does not know (typo or misplaced field)' },
  { name: 'missing-field', description: 'a required field is absent (after applying extends)' },
  { name: 'wrong-type', description: 'a value has the wrong type' },
  { name: 'invalid-value', description: 'a value is outside what the field allows' },
] as const;

/** Rules between profiles, reported by the loader. */
export const GRAPH_RULES = [
  { name: 'duplicate-id', description: 'two profiles share one id' },
  { name: 'extends-unknown', description: 'extends names a profile that does not exist' },
  { name: 'extends-cycle', description: 'profiles extend each other in a cycle' },
] as const;

type Region = BoardProfile['memory']['regions'][number];

/** The device window containing an address (RAM never counts: a device there is a typo). */
function regionOf(profile: BoardProfile, addr: number, io: 'mmio' | 'port'): Region | undefined {
  return profile.memory.regions.find(
    (r) => (io === 'port' ? r.kind === 'io-port' : r.kind !== 'io-port' && r.kind !== 'ram') && addr >= r.base && addr < r.base + r.size,
  );
}

function controllersOf(entry: DriverEntry) {
  return entry.controllers ?? [];
}

export const RULES: readonly ProfileRule[] = [
  {
    name: 'uart-base-outside-memory-map',
    description: 'the console UART base lies in no region of memory.regions',
    check(p) {
      const io = p.console.type === 'pc-com' ? 'port' : 'mmio';
      return regionOf(p, p.console.base, io)
        ? []
        : [{ path: ['console', 'base'], message: `console UART base ${hex(p.console.base)} is outside every ${io === 'port' ? 'io-port' : 'device (non-RAM)'} region of memory.regions` }];
    },
  },
  {
    name: 'driver-base-outside-memory-map',
    description: 'a driver controller base lies in no region of memory.regions',
    check(p) {
      const out: RuleFinding[] = [];
      for (const kind of DRIVER_KINDS) {
        controllersOf(p.drivers[kind]).forEach((c, i) => {
          if (c.base === undefined || c.io === 'firmware') return;
          if (!regionOf(p, c.base, c.io === 'port' ? 'port' : 'mmio'))
            out.push({ path: ['drivers', kind, 'controllers', i, 'base'], message: `${kind} controller '${c.name}' base ${hex(c.base)} is outside every device (non-RAM) region of memory.regions` });
        });
      }
      return out;
    },
  },
  {
    name: 'controller-base-missing',
    description: 'an mmio or port controller has no base address',
    check(p) {
      const out: RuleFinding[] = [];
      for (const kind of DRIVER_KINDS) {
        controllersOf(p.drivers[kind]).forEach((c, i) => {
          if (c.io !== 'firmware' && c.base === undefined)
            out.push({ path: ['drivers', kind, 'controllers', i], message: `${kind} controller '${c.name}' is ${c.io} but has no base (set base, or io: firmware for firmware-provided devices)` });
        });
      }
      return out;
    },
  },
  {
    name: 'driver-entry-shape',
    description: 'a driver set entry must have either controllers or unsupported (with the reason), not both or neither',
    check(p) {
      return DRIVER_KINDS.flatMap((kind) => {
        const e = p.drivers[kind];
        const has = Number(e.controllers !== undefined) + Number(e.unsupported !== undefined);
        return has === 1 ? [] : [{ path: ['drivers', kind], key: true, message: `drivers.${kind} needs exactly one of 'controllers' or 'unsupported: <reason>'` }];
      });
    },
  },
  {
    name: 'console-uart-not-in-driver-set',
    description: 'console.uart must name a controller of drivers.uart',
    check(p) {
      return controllersOf(p.drivers.uart).some((c) => c.name === p.console.uart)
        ? []
        : [{ path: ['console', 'uart'], message: `console uart '${p.console.uart}' is not a controller of drivers.uart (${controllersOf(p.drivers.uart).map((c) => c.name).join(', ') || 'none'})` }];
    },
  },
  {
    name: 'load-address-outside-ram',
    description: 'memory.loadAddress must lie inside memory.ram',
    check(p) {
      const a = p.memory.loadAddress;
      if (a === undefined) return [];
      const { base, size } = p.memory.ram;
      return a >= base && a < base + size ? [] : [{ path: ['memory', 'loadAddress'], message: `load address ${hex(a)} is outside RAM ${hex(base)}..${hex(base + size)}` }];
    },
  },
  {
    name: 'memory-regions-overlap',
    description: 'two regions of memory.regions overlap',
    check(p) {
      const out: RuleFinding[] = [];
      const rs = p.memory.regions;
      for (let i = 0; i < rs.length; i++)
        for (let j = 0; j < i; j++) {
          const a = rs[i]!;
          const b = rs[j]!;
          if ((a.kind === 'io-port') !== (b.kind === 'io-port')) continue;
          if (a.base < b.base + b.size && b.base < a.base + a.size)
            out.push({ path: ['memory', 'regions', i], message: `region '${a.name}' ${hex(a.base)}+${hex(a.size)} overlaps '${b.name}' ${hex(b.base)}+${hex(b.size)}` });
        }
      return out;
    },
  },
  {
    name: 'flash-method-unserved',
    description: 'a flash method no boot stage can load from (stage loadsFrom), or tftp/pxe without a netboot section',
    check(p) {
      const served = new Set(p.bootChain.flatMap((s) => s.loadsFrom ?? []));
      const out: RuleFinding[] = [];
      p.flash.forEach((f, i) => {
        if (!served.has(f.method))
          out.push({ path: ['flash', i, 'method'], message: `flash method '${f.method}' is served by no boot stage (add it to a stage's loadsFrom, or remove the method)` });
        else if ((f.method === 'tftp' || f.method === 'pxe') && !p.netboot)
          out.push({ path: ['flash', i, 'method'], message: `flash method '${f.method}' needs a netboot section (boot file, vendor class)` });
      });
      return out;
    },
  },
  {
    name: 'artifact-not-in-manifest',
    description: 'an artefact id used by the boot chain or the emulation recipe is in no firmware manifest',
    check(p, ctx) {
      const known = ctx.knownArtifacts;
      if (!known) return [];
      const out: RuleFinding[] = [];
      const want = (path: PathSegment[], id: string | undefined) => {
        if (id === undefined || id === 'none' || id === '@payload') return;
        if (!known.has(id)) out.push({ path, message: `artefact '${id}' is in no firmware-manifests/*.yaml (\`boardkit firmware list\` shows the known ones)` });
      };
      p.bootChain.forEach((s, i) => s.artifacts?.forEach((a, j) => want(['bootChain', i, 'artifacts', j], a)));
      const modes = p.emulation?.modes ?? {};
      for (const [name, m] of Object.entries(modes)) {
        if (!m) continue;
        want(['emulation', 'modes', name, 'bios'], m.bios);
        want(['emulation', 'modes', name, 'kernel'], m.kernel);
        m.pflash?.forEach((a, j) => want(['emulation', 'modes', name, 'pflash', j], a));
      }
      p.emulation?.quirks.forEach((q, i) => {
        if (q.kind === 'writable-vars-copy') want(['emulation', 'quirks', i, 'artifact'], q.artifact);
      });
      return out;
    },
  },
  {
    name: 'emulation-without-nodefaults',
    description: 'emulation.qemu.nodefaults must be true (a default NIC on slirp reaches the real network)',
    check(p) {
      return p.emulation && !p.emulation.qemu.nodefaults
        ? [{ path: ['emulation', 'qemu', 'nodefaults'], message: 'nodefaults must be true: without -nodefaults QEMU adds a NIC on slirp that reaches the real network through NAT' }]
        : [];
    },
  },
  {
    name: 'emulation-console-unmapped',
    description: 'the console UART has no -serial index in emulation.serial, or an index is used twice',
    check(p) {
      if (!p.emulation) return [];
      const out: RuleFinding[] = [];
      const s = p.emulation.serial;
      if (!s.some((e) => e.uart === p.console.uart))
        out.push({ path: ['emulation', 'serial'], key: true, message: `console uart '${p.console.uart}' has no -serial index (serial: ${s.map((e) => `${e.index}=${e.uart}`).join(', ')})` });
      s.forEach((e, i) => {
        if (s.findIndex((o) => o.index === e.index) !== i) out.push({ path: ['emulation', 'serial', i, 'index'], message: `-serial index ${e.index} is mapped twice` });
      });
      return out;
    },
  },
  {
    name: 'marker-stage-unknown',
    description: 'an emulation mode or failure pattern names a stage that verify.markers does not define',
    check(p) {
      const stages = new Set(p.verify.markers.map((m) => m.stage));
      const out: RuleFinding[] = [];
      for (const [name, m] of Object.entries(p.emulation?.modes ?? {})) {
        m?.markers.forEach((s, i) => {
          if (!stages.has(s)) out.push({ path: ['emulation', 'modes', name, 'markers', i], message: `stage '${s}' is not in verify.markers (${[...stages].join(', ')})` });
        });
      }
      p.verify.failures.forEach((f, i) => {
        if (f.after !== undefined && !stages.has(f.after)) out.push({ path: ['verify', 'failures', i, 'after'], message: `stage '${f.after}' is not in verify.markers` });
      });
      return out;
    },
  },
  {
    name: 'pattern-unbounded',
    description: 'a marker or failure pattern is not a valid, bounded regular expression',
    check(p) {
      const out: RuleFinding[] = [];
      p.verify.markers.forEach((m, i) => {
        const why = checkBoundedPattern(m.pattern);
        if (why) out.push({ path: ['verify', 'markers', i, 'pattern'], message: `pattern /${m.pattern}/: ${why}` });
      });
      p.verify.failures.forEach((f, i) => {
        const why = checkBoundedPattern(f.pattern);
        if (why) out.push({ path: ['verify', 'failures', i, 'pattern'], message: `pattern /${f.pattern}/: ${why}` });
      });
      return out;
    },
  },
];

export const ALL_RULE_NAMES: readonly string[] = [
  ...STRUCTURAL_RULES.map((r) => r.name),
  ...GRAPH_RULES.map((r) => r.name),
  ...RULES.map((r) => r.name),
];

import type { BoardProfile, DriverKind } from '../boards/schema.js';
import { DRIVER_KINDS } from '../boards/schema.js';
import { UsageError } from '../core/errors.js';
import { SD_ROUTE_ALTERNATIVE } from './spec.js';
import type { DriverController, DriverSpec, PayloadBuildSpec } from './spec.js';

/** The driver kinds a board's profile can build (those not marked unsupported). */
export function supportedDrivers(profile: BoardProfile): DriverKind[] {
  return DRIVER_KINDS.filter((k) => profile.drivers[k].controllers?.length);
}

/**
 * A board profile (+ the driver set asked for) → what the payload is built for. Every address and
 * parameter comes from the profile; asking for a driver the board does not support is a usage
 * error naming what it supports and why the others are not.
 */
export function payloadSpecFor(profile: BoardProfile, kinds: readonly DriverKind[] = supportedDrivers(profile), options: { testOnlyFakeOk?: boolean; testOnlySkipGpio?: boolean } = {}): PayloadBuildSpec {
  const problems: string[] = [];
  const wanted = kinds.includes('uart') ? kinds : ['uart' as DriverKind, ...kinds];
  const drivers: DriverSpec[] = [];
  for (const kind of DRIVER_KINDS) {
    if (!wanted.includes(kind)) continue;
    const entry = profile.drivers[kind];
    // One controller per kind: the first listed (e.g. rpi3b's SDHOST, which its GPIO set-up routes the card to).
    const c = entry.controllers?.[0];
    if (!c) {
      problems.push(`${kind}: unsupported on ${profile.id} (${entry.unsupported ?? 'no controller'})`);
      continue;
    }
    if (kind === 'uart' && c.name !== profile.console.uart) {
      const consoleCtl = entry.controllers!.find((x) => x.name === profile.console.uart);
      if (consoleCtl) {
        drivers.push(driverSpec(kind, consoleCtl));
        continue;
      }
    }
    const spec = driverSpec(kind, c);
    // An SD controller the GPIO route can swap for another one the profile lists: both are built.
    const alt = SD_ROUTE_ALTERNATIVE[spec.controller];
    const altCtl = alt ? entry.controllers!.find((x) => (x.driver ?? x.name) === alt) : undefined;
    if (altCtl?.base !== undefined && wanted.includes('gpio')) spec.altBase = altCtl.base;
    drivers.push(spec);
  }
  if (problems.length) {
    throw new UsageError(`cannot build the payload for ${profile.id} with drivers ${wanted.join(',')}:\n  ${problems.join('\n  ')}`, {
      hint: `drivers ${profile.id} supports: ${supportedDrivers(profile).join(', ')}`,
    });
  }
  const consoleCtl = profile.drivers.uart.controllers?.find((x) => x.name === profile.console.uart);
  const spec: PayloadBuildSpec = {
    board: profile.id,
    arch: profile.arch,
    format: profile.payload?.format ?? (profile.bootProtocol === 'uefi' ? 'efi' : 'elf+bin'),
    loadAddress: profile.memory.loadAddress ?? 0,
    // No clockHz: the payload keeps the divisor the firmware (or emulator) programmed.
    console: { type: (consoleCtl?.driver ?? profile.console.type) as PayloadBuildSpec['console']['type'], base: profile.console.base, baud: profile.console.baud },
    drivers,
    exit: profile.payload?.exit ?? 'none',
  };
  if (profile.payload?.timerHz !== undefined) spec.timerHz = profile.payload.timerHz;
  if (options.testOnlyFakeOk) spec.testOnlyFakeOk = true;
  if (options.testOnlySkipGpio) spec.testOnlySkipGpio = true;
  return spec;
}

function driverSpec(kind: DriverKind, c: NonNullable<BoardProfile['drivers']['uart']['controllers']>[number]): DriverSpec {
  const spec: DriverSpec = { kind, controller: (c.driver ?? c.name) as DriverController, base: c.base ?? 0 };
  const p = c.params ?? {};
  if (p.slots !== undefined) spec.slots = p.slots;
  if (p.stride !== undefined) spec.stride = p.stride;
  if (p.line !== undefined) spec.line = p.line;
  if (p.sdRoute !== undefined) spec.sdRoute = p.sdRoute;
  if (p.width !== undefined) spec.width = p.width;
  if (p.height !== undefined) spec.height = p.height;
  return spec;
}

/**
 * The payload's boot report (format: boot/README.md), parsed from console text, and the host-side
 * checks that never trust the payload alone: the nonce must be this run's, and every driver the
 * spec built must report.
 */
import { BoardkitError } from '../core/errors.js';
import type { DriverKind, PayloadBuildSpec } from './spec.js';

export interface DriverReport {
  kind: string;
  status: 'ok' | 'fail';
  /** The raw detail text, e.g. `virtio-blk,base=0x10008000,transport=legacy,sig=0x1a2b3c4d`. */
  detail: string;
  controller: string;
  /** `key=value` pairs of the detail after the controller name. */
  fields: Record<string, string>;
}

export interface PayloadFault {
  pc: string;
  addr: string;
  cause: string;
}

export interface BootReport {
  board?: string;
  /** Lower-case hex, 32 digits. */
  nonce?: string;
  /** Set only by a test-only build (`build=test-only-fake-ok`, ...): its word is worth nothing. */
  build?: string;
  info: Record<string, string>;
  drivers: DriverReport[];
  result?: 'pass' | 'fail';
  faults: PayloadFault[];
  /** Set when the payload says its config block was not patched or is invalid. */
  config?: string;
  /** Every BOARDKIT line, in order, for error messages. */
  lines: string[];
}

const LINE = /BOARDKIT (.*?)\r?$/;

function pairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tok of text.trim().split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) out[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  return out;
}

/** Parses the first boot report in `text` (a later reboot's report is ignored). */
export function parseBootReport(text: string): BootReport {
  const report: BootReport = { info: {}, drivers: [], faults: [], lines: [] };
  let stages = 0;
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue;
    const body = m[1]!.trim();
    const kv = pairs(body);
    if (kv.stage === 'payload' && ++stages > 1) break;
    report.lines.push(`BOARDKIT ${body}`);
    if (kv.stage === 'payload') {
      if (kv.board !== undefined) report.board = kv.board;
      if (kv.nonce !== undefined) report.nonce = kv.nonce.toLowerCase();
      if (kv.build !== undefined) report.build = kv.build;
    } else if (body.startsWith('info ')) Object.assign(report.info, pairs(body.slice(5)));
    else if (kv.driver !== undefined && (kv.status === 'ok' || kv.status === 'fail')) {
      const detail = kv.detail ?? '';
      const [controller = '', ...rest] = detail.split(',');
      const fields: Record<string, string> = {};
      for (const r of rest) {
        const eq = r.indexOf('=');
        if (eq > 0) fields[r.slice(0, eq)] = r.slice(eq + 1);
      }
      report.drivers.push({ kind: kv.driver, status: kv.status, detail, controller, fields });
    } else if (kv.result === 'pass' || kv.result === 'fail') report.result = kv.result;
    else if (body.startsWith('fault ')) report.faults.push({ pc: kv.pc ?? '', addr: kv.addr ?? '', cause: kv.cause ?? '' });
    else if (kv.config !== undefined) report.config = kv.config;
  }
  return report;
}

/** The report contradicts what the host knows (stale nonce, missing driver, failed oracle). */
export class PayloadReportError extends BoardkitError {
  constructor(message: string, report: BootReport | undefined, hint: string) {
    super('E_PAYLOAD_REPORT', 'device', message, { hint, details: { lines: report?.lines ?? [] } });
  }
}

export function nonceHex(nonce: Uint8Array | string): string {
  return typeof nonce === 'string' ? nonce.toLowerCase() : Buffer.from(nonce).toString('hex');
}

/**
 * Rejects a report whose nonce is not the one patched in for this run: a stale image, a cached
 * console log or an earlier boot would otherwise pass.
 */
export function checkReportNonce(report: BootReport, expected: Uint8Array | string): void {
  const want = nonceHex(expected);
  if (!/^[0-9a-f]{32}$/.test(want) || /^0+$/.test(want))
    throw new PayloadReportError('the expected nonce is not a fresh 16-byte value', report, 'generate one with newNonce() per run');
  if (report.nonce === undefined)
    throw new PayloadReportError('the payload printed no stage line with a nonce', report, 'check the console mapping (serial index) and that the payload started');
  if (report.nonce !== want)
    throw new PayloadReportError(
      `stale nonce: the payload reported ${report.nonce}, this run patched ${want}`,
      report,
      'the image booted is not the one patched for this run (stale file, wrong path, or an old log)',
    );
}

/**
 * Whole-report check against the spec: nonce, board, no fault, one ok line per driver (in spec
 * order) and result=pass. Oracle checks (disk signature, frame, screen, GPIO effect) come on top.
 */
export function checkBootReport(report: BootReport, spec: Pick<PayloadBuildSpec, 'board' | 'drivers'>, nonce: Uint8Array | string): void {
  checkReportNonce(report, nonce);
  if (report.board !== spec.board)
    throw new PayloadReportError(`the payload says board=${report.board}, expected ${spec.board}`, report, 'the image was built for another board');
  if (report.faults.length) {
    const f = report.faults[0]!;
    throw new PayloadReportError(`the payload faulted: pc=${f.pc} addr=${f.addr} cause=${f.cause}`, report, 'look up pc in payload.elf (addr2line)');
  }
  const got = report.drivers.map((d) => `${d.kind}/${d.controller}`);
  const want = spec.drivers.map((d) => `${d.kind}/${d.controller}`);
  if (got.join(' ') !== want.join(' '))
    throw new PayloadReportError(`driver lines [${got.join(', ')}] do not match the build [${want.join(', ')}]`, report, 'the payload stopped early or was built from another spec');
  const failed = report.drivers.filter((d) => d.status !== 'ok');
  if (failed.length)
    throw new PayloadReportError(`driver(s) failed: ${failed.map((d) => `${d.kind} (${d.detail})`).join('; ')}`, report, 'see the detail field; check the emulation recipe attaches the device');
  if (report.result !== 'pass') throw new PayloadReportError(`result=${report.result ?? 'missing'}`, report, 'the payload did not finish its report');
}

export function driverReport(report: BootReport, kind: DriverKind): DriverReport | undefined {
  return report.drivers.find((d) => d.kind === kind);
}

const TEST_ONLY_MARK = Buffer.from(' build=test-only-', 'latin1');

/**
 * The test-only mark compiled into a payload image (boot/common/main.c prints it on the stage
 * line), e.g. `test-only-fake-ok`, or undefined for a real build. Read from the bytes, so a
 * payload passed without its payload.json is recognised too.
 */
export function testOnlyBuildInImage(bytes: Uint8Array): string | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buf.indexOf(TEST_ONLY_MARK);
  if (at < 0) return undefined;
  let end = at + 7;
  while (end < buf.length && /[a-z0-9-]/.test(String.fromCharCode(buf[end]!))) end++;
  return buf.subarray(at + 7, end).toString('latin1');
}

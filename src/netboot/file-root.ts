/**
 * A confined directory of files served over TFTP (docs/netboot-facts.md §4).
 *
 * - Names are validated before any filesystem call (`validateTftpFilename`).
 * - The joined path is realpath'd and must stay inside the root's realpath on a `/` boundary, so a
 *   symlink that leaves the root is refused while one that stays inside works.
 * - After opening, the descriptor itself is checked (`/proc/self/fd`) so a swap between the check
 *   and the open cannot escape either; only regular files are served.
 * - Files are opened per request and never cached, so a rebuilt file is served on the next RRQ.
 * - Per-client roots: `<root>/<mac|ip|serial>/<name>` is tried before `<root>/<name>`.
 * - Uploads go to a separate root: temp file, then a hard link to the final name (which fails
 *   if it exists: no overwrite), then the temp is removed.
 */
import { constants, promises as fsp, closeSync, fstatSync, linkSync, openSync, readlinkSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, sep } from 'node:path';
import { BoardkitError } from '../core/errors.js';
import { ErrorCode } from '../protocols/tftp/packet.js';
import type { BlockSource } from '../protocols/tftp/sender.js';

/** What the server knows about a client (from DHCP leases, a lab inventory, or only the address). */
export interface ClientInfo {
  address: string;
  port: number;
  /** `aa:bb:cc:dd:ee:ff` in any case/separator. */
  mac?: string;
  /** Raspberry Pi serial (the TFTP_PREFIX=0 directory), hex. */
  serial?: string;
}

export type PerClientKey = 'mac' | 'ip' | 'serial';

/** A file refusal carrying the TFTP error code to answer with. */
export class TftpFileError extends BoardkitError {
  constructor(
    readonly tftpCode: number,
    message: string,
  ) {
    super(tftpCode === ErrorCode.NOT_FOUND ? 'E_TFTP_NOT_FOUND' : 'E_TFTP_ACCESS', 'input', message);
  }
}

/** Windows reserved device names (tftpd-hpa 5.4 refuses them too). */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_NAME = 1024;

/**
 * Splits a requested name into safe path components, or explains the refusal. A leading `/` is
 * re-rooted (PXE configs often say `/pxelinux.cfg/...`); everything else suspicious is refused.
 */
export function validateTftpFilename(name: string, validUtf8 = true): { ok: true; parts: string[] } | { ok: false; reason: string } {
  if (!validUtf8) return { ok: false, reason: 'name is not valid UTF-8' };
  if (name.length === 0) return { ok: false, reason: 'empty name' };
  if (name.length > MAX_NAME) return { ok: false, reason: 'name too long' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, reason: 'control byte in name' };
  if (name.includes('\\')) return { ok: false, reason: 'backslash in name' };
  if (name.includes(':')) return { ok: false, reason: 'drive letter or colon in name' };
  if (name.startsWith('//')) return { ok: false, reason: 'UNC-style name' };
  const parts = name.replace(/^\/+/, '').split('/');
  for (const p of parts) {
    if (p === '') return { ok: false, reason: 'empty path component' };
    if (p === '.' || p === '..') return { ok: false, reason: `'${p}' component` };
    if (RESERVED.test(p)) return { ok: false, reason: 'reserved device name' };
    if (Buffer.byteLength(p) > 255) return { ok: false, reason: 'component too long' };
  }
  return { ok: true, parts };
}

/** Directory name for a client under a per-client key, or undefined when unknown. */
export function clientDirName(client: ClientInfo, key: PerClientKey): string | undefined {
  if (key === 'ip') return client.address;
  if (key === 'mac') {
    const hexDigits = client.mac?.toLowerCase().replace(/[^0-9a-f]/g, '');
    return hexDigits && hexDigits.length === 12 ? hexDigits.match(/../g)!.join('-') : undefined;
  }
  const serial = client.serial?.toLowerCase();
  return serial && /^[0-9a-f]{1,16}$/.test(serial) ? serial : undefined;
}

/** An opened file: a BlockSource read synchronously from the descriptor (page cache), with read-ahead. */
export interface OpenedFile extends BlockSource {
  readonly path: string;
  /** The open descriptor (for a bulk sender that reads it itself); undefined once closed. */
  readonly descriptor: number | undefined;
  close(): void;
}

const READ_AHEAD = 256 * 1024;

class FdSource implements OpenedFile {
  private buf = Buffer.allocUnsafe(0);
  private bufStart = 0;
  private fd: number | undefined;

  constructor(
    fd: number,
    readonly path: string,
    readonly size: number,
  ) {
    this.fd = fd;
  }

  get descriptor(): number | undefined {
    return this.fd;
  }

  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    if (offset < this.bufStart || end > this.bufStart + this.buf.length) {
      if (this.fd === undefined) throw new BoardkitError('E_TFTP_CLOSED', 'internal', 'read after close');
      const want = Math.max(end - offset, Math.min(READ_AHEAD, this.size - offset));
      const b = Buffer.allocUnsafe(Math.max(0, want));
      let got = 0;
      while (got < want) {
        const n = readSync(this.fd, b, got, want - got, offset + got);
        if (n === 0) break; // truncated under us: serve what exists, the transfer ends short
        got += n;
      }
      this.buf = b.subarray(0, got);
      this.bufStart = offset;
    }
    const from = offset - this.bufStart;
    return this.buf.subarray(from, Math.min(this.buf.length, from + (end - offset)));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface FileRootOptions {
  /** Per-client directories tried in this order before the shared root. */
  perClient?: PerClientKey[];
  /** Serve `<root>/<name>` when no per-client file exists (default true). */
  sharedFallback?: boolean;
}

export class FileRoot {
  private rootReal: Promise<string>;

  constructor(
    readonly dir: string,
    private readonly options: FileRootOptions = {},
  ) {
    this.rootReal = fsp.realpath(dir);
    this.rootReal.catch(() => {});
  }

  /** Opens `name` for `client`; throws TftpFileError (code 1 or 2) when it must not be served. */
  async open(name: string, client: ClientInfo, validUtf8 = true): Promise<OpenedFile> {
    const v = validateTftpFilename(name, validUtf8);
    if (!v.ok) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, `refused: ${v.reason}`);
    const root = await this.rootReal;
    const prefixes: string[] = [];
    for (const k of this.options.perClient ?? []) {
      const d = clientDirName(client, k);
      if (d) prefixes.push(d);
    }
    if (this.options.sharedFallback !== false || prefixes.length === 0) prefixes.push('');
    for (const prefix of prefixes) {
      const candidate = join(root, prefix, ...v.parts);
      let real: string;
      try {
        real = await fsp.realpath(candidate);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        if (code === 'ELOOP') throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, 'symlink loop');
        throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, `cannot resolve: ${code ?? 'error'}`);
      }
      if (!isInside(root, real)) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, 'path leaves the root');
      return openConfined(root, real);
    }
    throw new TftpFileError(ErrorCode.NOT_FOUND, 'file not found');
  }
}

function isInside(root: string, real: string): boolean {
  return real.startsWith(root.endsWith(sep) ? root : root + sep);
}

function openConfined(root: string, real: string): OpenedFile {
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TftpFileError(ErrorCode.NOT_FOUND, 'file not found');
    throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, `cannot open: ${code ?? 'error'}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, 'not a regular file');
    let opened: string | undefined;
    try {
      opened = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      opened = undefined; // no /proc: the realpath check above stands alone
    }
    if (opened !== undefined && !isInside(root, opened)) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, 'path leaves the root');
    return new FdSource(fd, real, st.size);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** An upload in progress: `write` chunks, then `commit` (no overwrite) or `abort`. */
export interface UploadFile {
  write(chunk: Uint8Array): void;
  commit(): void;
  abort(): void;
}

/** The separate directory WRQs may create files in (never overwriting). */
export class UploadRoot {
  constructor(readonly dir: string) {}

  async create(name: string, validUtf8 = true): Promise<UploadFile> {
    const v = validateTftpFilename(name, validUtf8);
    if (!v.ok) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, `refused: ${v.reason}`);
    const root = await fsp.realpath(this.dir);
    const parent = join(root, ...v.parts.slice(0, -1));
    let parentReal: string;
    try {
      parentReal = await fsp.realpath(parent);
    } catch {
      throw new TftpFileError(ErrorCode.NOT_FOUND, 'upload directory does not exist');
    }
    if (parentReal !== root && !isInside(root, parentReal)) throw new TftpFileError(ErrorCode.ACCESS_VIOLATION, 'path leaves the upload root');
    const final = join(parentReal, v.parts[v.parts.length - 1]!);
    try {
      await fsp.lstat(final);
      throw new TftpFileError(ErrorCode.FILE_EXISTS, 'file already exists');
    } catch (err) {
      if (err instanceof TftpFileError) throw err;
    }
    const temp = join(parentReal, `.${v.parts[v.parts.length - 1]!}.${randomBytes(6).toString('hex')}.part`);
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    let open = true;
    const cleanup = () => {
      if (open) closeSync(fd);
      open = false;
      try {
        unlinkSync(temp);
      } catch {
        /* already gone */
      }
    };
    return {
      write: (chunk) => {
        let at = 0;
        while (at < chunk.length) at += writeSync(fd, chunk, at, chunk.length - at);
      },
      commit: () => {
        closeSync(fd);
        open = false;
        try {
          linkSync(temp, final); // EEXIST if someone created it meanwhile: never overwrite
        } catch (err) {
          cleanup();
          throw new TftpFileError(ErrorCode.FILE_EXISTS, `cannot commit upload: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
        }
        cleanup();
      },
      abort: cleanup,
    };
  }
}

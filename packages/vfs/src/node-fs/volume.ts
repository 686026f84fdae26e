import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { ACCESS, AT, DT, Errno, O, S, SEEK, SysError } from '../abi.js';
import { ROOT_CREDENTIALS, type Credentials } from '../credentials.js';
import type { FileDescription } from '../file-description.js';
import type { PathContext } from '../resolve.js';
import { TmpfsFilesystem } from '../fs/tmpfs/index.js';
import { VirtualFilesystem } from '../vfs.js';
import { asNode, invalidArg, nodeFsError, rmIsDirectoryError } from './errors.js';
import { Dirent, Stats } from './stats.js';

/** What node:fs accepts as a path. */
export type PathLike = string | Buffer | URL;
/** node:fs open flags: a string such as 'r+' or 'wx', or open(2) bits (`O.CREAT | O.RDWR`). */
export type OpenFlags = string | number;
type Encoding = BufferEncoding | 'buffer' | null | undefined;
type Data = string | ArrayBufferView;

/** node:fs's string flags as open(2) bits (lib/internal/fs/utils.js stringToFlags). */
const STRING_FLAGS: Record<string, number> = {
  r: O.RDONLY,
  rs: O.RDONLY | O.SYNC,
  sr: O.RDONLY | O.SYNC,
  'r+': O.RDWR,
  'rs+': O.RDWR | O.SYNC,
  'sr+': O.RDWR | O.SYNC,
  w: O.TRUNC | O.CREAT | O.WRONLY,
  wx: O.TRUNC | O.CREAT | O.WRONLY | O.EXCL,
  xw: O.TRUNC | O.CREAT | O.WRONLY | O.EXCL,
  'w+': O.TRUNC | O.CREAT | O.RDWR,
  'wx+': O.TRUNC | O.CREAT | O.RDWR | O.EXCL,
  'xw+': O.TRUNC | O.CREAT | O.RDWR | O.EXCL,
  a: O.APPEND | O.CREAT | O.WRONLY,
  ax: O.APPEND | O.CREAT | O.WRONLY | O.EXCL,
  xa: O.APPEND | O.CREAT | O.WRONLY | O.EXCL,
  as: O.APPEND | O.CREAT | O.WRONLY | O.SYNC,
  sa: O.APPEND | O.CREAT | O.WRONLY | O.SYNC,
  'a+': O.APPEND | O.CREAT | O.RDWR,
  'ax+': O.APPEND | O.CREAT | O.RDWR | O.EXCL,
  'xa+': O.APPEND | O.CREAT | O.RDWR | O.EXCL,
  'as+': O.APPEND | O.CREAT | O.RDWR | O.SYNC,
  'sa+': O.APPEND | O.CREAT | O.RDWR | O.SYNC,
};

/** open(2) bits for node:fs flags; numbers pass through unchanged, so `O.CREAT | O.RDWR` means exactly that. */
export function openFlags(flags: OpenFlags | undefined, fallback: string): number {
  if (flags === undefined || flags === null) return STRING_FLAGS[fallback];
  if (typeof flags === 'number' && Number.isInteger(flags) && flags >= 0 && flags <= 0x7fffffff) return flags;
  if (typeof flags === 'string' && Object.hasOwn(STRING_FLAGS, flags)) return STRING_FLAGS[flags];
  throw invalidArg('ERR_INVALID_ARG_VALUE', `The argument 'flags' is invalid. Received ${typeof flags === 'string' ? `'${flags}'` : String(flags)}`);
}

/** A path argument as the string the VFS resolves and the errors quote. */
export function pathString(p: PathLike, name = 'path'): string {
  let s: string;
  if (typeof p === 'string') s = p;
  else if (Buffer.isBuffer(p)) s = p.toString('utf8');
  else if (p instanceof URL) s = fileURLToPath(p);
  else
    throw invalidArg(
      'ERR_INVALID_ARG_TYPE',
      `The "${name}" argument must be of type string or an instance of Buffer or URL. Received ${p === null ? 'null' : `type ${typeof p} (${String(p)})`}`,
    );
  if (s.includes('\0'))
    throw invalidArg('ERR_INVALID_ARG_VALUE', `The argument '${name}' must be a string, Uint8Array, or URL without null bytes. Received ${JSON.stringify(s)}`);
  return s;
}

function modeArg(mode: number | string | undefined, fallback: number): number {
  if (mode === undefined || mode === null) return fallback;
  const m = typeof mode === 'string' ? parseInt(mode, 8) : mode;
  if (!Number.isInteger(m) || m < 0 || m > 0o7777)
    throw invalidArg('ERR_INVALID_ARG_VALUE', `The argument 'mode' must be a 32-bit unsigned integer or an octal string. Received ${String(mode)}`);
  return m;
}

function toBytes(data: Data, encoding: Encoding = 'utf8'): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, encoding === 'buffer' || !encoding ? 'utf8' : encoding);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArg(
    'ERR_INVALID_ARG_TYPE',
    `The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type ${typeof data}`,
  );
}

const encode = (buf: Buffer, encoding: Encoding): string | Buffer => (encoding && encoding !== 'buffer' ? buf.toString(encoding) : buf);
const encodingOf = (opts: unknown): Encoding => (typeof opts === 'string' ? (opts as Encoding) : (opts as { encoding?: Encoding } | undefined)?.encoding);

export interface VolumeOptions {
  /** The filesystem to serve; a fresh tmpfs (root directory mode 0755) by default. */
  vfs?: VirtualFilesystem;
  /** Whose permissions calls are checked against; root by default, as memfs (which checks none). */
  creds?: Credentials;
  /** Applied to modes of created files; 022 by default. */
  umask?: number;
}

/**
 * A node:fs-style API over a `VirtualFilesystem`: the `*Sync` calls, with
 * node:fs's arguments, results and errors (`code`, negative `errno`,
 * `syscall`, `path`, `dest`, and Node's message). Relative paths start at `/`.
 */
export class Volume {
  readonly vfs: VirtualFilesystem;
  readonly ctx: PathContext;
  private readonly fds = new Map<number, FileDescription>();
  private nextFd = 3;

  constructor(opts: VolumeOptions = {}) {
    this.vfs = opts.vfs ?? new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755 }));
    this.ctx = this.vfs.context(opts.creds ?? ROOT_CREDENTIALS, undefined, opts.umask ?? 0o022);
  }

  /** Creates each file of `{ path: contents }` (null: a directory), with parents; as memfs's `fromJSON`. */
  fromJSON(json: Record<string, string | null>, cwd = '/'): void {
    for (const [rel, content] of Object.entries(json)) {
      const p = rel.startsWith('/') ? rel : `${cwd.replace(/\/$/, '')}/${rel}`;
      if (content === null) {
        this.mkdirSync(p, { recursive: true });
        continue;
      }
      const parent = p.slice(0, p.lastIndexOf('/'));
      if (parent) this.mkdirSync(parent, { recursive: true });
      this.writeFileSync(p, content);
    }
  }

  private desc(fd: number, syscall: string): FileDescription {
    const d = this.fds.get(fd);
    if (d === undefined) throw nodeFsError(Errno.EBADF, syscall);
    return d;
  }

  private openDesc(path: string, flags: number, mode: number): FileDescription {
    return asNode('open', path, () => this.vfs.openAt(this.ctx, path, { flags, mode }));
  }

  openSync(path: PathLike, flags?: OpenFlags, mode?: number | string): number {
    const p = pathString(path);
    const d = this.openDesc(p, openFlags(flags, 'r'), modeArg(mode, 0o666));
    const fd = this.nextFd++;
    this.fds.set(fd, d);
    return fd;
  }

  closeSync(fd: number): void {
    this.desc(fd, 'close').decRef();
    this.fds.delete(fd);
  }

  readSync(
    fd: number,
    buffer: ArrayBufferView,
    offsetOrOpts?: number | { offset?: number; length?: number; position?: number | bigint | null },
    length?: number,
    position?: number | bigint | null,
  ): number {
    let offset = 0;
    if (typeof offsetOrOpts === 'object' && offsetOrOpts !== null) ({ offset = 0, length, position } = offsetOrOpts);
    else if (offsetOrOpts !== undefined) offset = offsetOrOpts;
    const bytes = toBytes(buffer);
    const len = length ?? bytes.byteLength - offset;
    if (offset < 0 || len < 0 || offset + len > bytes.byteLength)
      throw Object.assign(new RangeError(`The value of "length" is out of range. It must be >= 0 && <= ${bytes.byteLength - offset}. Received ${len}`), {
        code: 'ERR_OUT_OF_RANGE',
      });
    const d = this.desc(fd, 'read');
    const pos = position === null || position === undefined || position === -1 || position === -1n ? undefined : Number(position);
    return asNode('read', undefined, () => d.read(bytes.subarray(offset, offset + len), pos));
  }

  writeSync(fd: number, data: Data, offsetOrPosition?: number | null, lengthOrEncoding?: number | BufferEncoding | null, position?: number | null): number {
    let bytes: Uint8Array;
    let pos: number | null | undefined;
    if (typeof data === 'string') {
      bytes = toBytes(data, typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8');
      pos = offsetOrPosition;
    } else {
      const all = toBytes(data);
      const off = offsetOrPosition ?? 0;
      const len = typeof lengthOrEncoding === 'number' ? lengthOrEncoding : all.byteLength - off;
      bytes = all.subarray(off, off + len);
      pos = position;
    }
    const d = this.desc(fd, 'write');
    const at = pos === null || pos === undefined || pos === -1 ? undefined : pos;
    return asNode('write', undefined, () => d.write(bytes, at));
  }

  fstatSync(fd: number): Stats {
    const d = this.desc(fd, 'fstat');
    return new Stats(asNode('fstat', undefined, () => d.stat()));
  }

  ftruncateSync(fd: number, len = 0): void {
    const d = this.desc(fd, 'ftruncate');
    asNode('ftruncate', undefined, () => d.truncate(len));
  }

  fsyncSync(fd: number): void {
    const d = this.desc(fd, 'fsync');
    asNode('fsync', undefined, () => d.sync());
  }

  private readAll(d: FileDescription): Buffer {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.max(64 * 1024, d.stat().size - total));
      const n = asNode('read', undefined, () => d.read(chunk));
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total);
  }

  readFileSync(path: PathLike | number, options?: Encoding | { encoding?: Encoding; flag?: OpenFlags }): string | Buffer {
    const encoding = encodingOf(options);
    if (typeof path === 'number') return encode(this.readAll(this.desc(path, 'read')), encoding);
    const flag = typeof options === 'object' && options !== null ? options.flag : undefined;
    const d = this.openDesc(pathString(path), openFlags(flag, 'r'), 0o666);
    try {
      return encode(this.readAll(d), encoding);
    } finally {
      d.decRef();
    }
  }

  private writeAll(d: FileDescription, bytes: Uint8Array): void {
    for (let off = 0; off < bytes.byteLength;) off += asNode('write', undefined, () => d.write(bytes.subarray(off)));
  }

  writeFileSync(
    path: PathLike | number,
    data: Data,
    options?: Encoding | { encoding?: Encoding; mode?: number | string; flag?: OpenFlags },
    defaultFlag = 'w',
  ): void {
    const opts = typeof options === 'object' && options !== null ? options : {};
    const bytes = toBytes(data, encodingOf(options));
    if (typeof path === 'number') return this.writeAll(this.desc(path, 'write'), bytes);
    const d = this.openDesc(pathString(path), openFlags(opts.flag, defaultFlag), modeArg(opts.mode, 0o666));
    try {
      this.writeAll(d, bytes);
    } finally {
      d.decRef();
    }
  }

  appendFileSync(path: PathLike | number, data: Data, options?: Encoding | { encoding?: Encoding; mode?: number | string; flag?: OpenFlags }): void {
    this.writeFileSync(path, data, options, 'a');
  }

  mkdirSync(path: PathLike, options?: number | string | { recursive?: boolean; mode?: number | string }): string | undefined {
    const p = pathString(path);
    const opts = typeof options === 'object' && options !== null ? options : { mode: options };
    const mode = modeArg(opts.mode, 0o777);
    if (!opts.recursive) {
      asNode('mkdir', p, () => this.vfs.mkdirAt(this.ctx, p, mode));
      return undefined;
    }
    // As node's MKDirpSync: create the missing ancestors top-down; errors name the whole path.
    const parts = p.split('/');
    let first: string | undefined;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (prefix === '' || parts[i - 1] === '' || parts[i - 1] === '.') continue;
      try {
        this.vfs.mkdirAt(this.ctx, prefix, mode);
        first ??= prefix;
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        if (e.errno === Errno.EEXIST) {
          // What is there decides, as in node's MKDirpSync: a directory (through symlinks) is fine; stat's error wins.
          const isDirectory = asNode('mkdir', p, () => (this.vfs.statAt(this.ctx, prefix, 0).mode & S.IFMT) === S.IFDIR);
          if (isDirectory) continue;
          throw nodeFsError(i === parts.length ? Errno.EEXIST : Errno.ENOTDIR, 'mkdir', p);
        }
        throw nodeFsError(e.errno, 'mkdir', p);
      }
    }
    return first;
  }

  private listDir(p: string): { name: string; type: number }[] {
    const d = asNode('scandir', p, () => this.vfs.openAt(this.ctx, p, { flags: O.RDONLY | O.DIRECTORY }));
    try {
      const out: { name: string; type: number }[] = [];
      asNode('scandir', p, () =>
        d.iterDirents((e) => {
          if (e.name !== '.' && e.name !== '..') out.push({ name: e.name, type: e.type });
          return true;
        }),
      );
      return out;
    } finally {
      d.decRef();
    }
  }

  /**
   * Whether a recursive readdir enters an entry. Node 20 decides by d_type
   * with withFileTypes, but by stat (following symlinks) for plain names.
   */
  private descends(path: string, type: number, followLinks: boolean): boolean {
    if (type === DT.DIR) return true;
    if (!followLinks || type !== DT.LNK) return false;
    try {
      return (this.vfs.statAt(this.ctx, path, 0).mode & S.IFMT) === S.IFDIR;
    } catch {
      return false;
    }
  }

  readdirSync(path: PathLike, options?: Encoding | { encoding?: Encoding; withFileTypes?: boolean; recursive?: boolean }): (string | Buffer | Dirent)[] {
    const p = pathString(path);
    const opts = typeof options === 'object' && options !== null ? options : {};
    const encoding = encodingOf(options);
    const out: (string | Buffer | Dirent)[] = [];
    const walk = (dir: string, rel: string): void => {
      for (const e of this.listDir(dir)) {
        const relName = rel ? `${rel}/${e.name}` : e.name;
        if (opts.withFileTypes) out.push(new Dirent(e.name, dir, e.type));
        else out.push(encoding === 'buffer' ? Buffer.from(relName) : relName);
        if (opts.recursive && this.descends(`${dir}/${e.name}`, e.type, !opts.withFileTypes)) walk(`${dir}/${e.name}`, relName);
      }
    };
    walk(p, '');
    return out;
  }

  statSync(path: PathLike, options?: { throwIfNoEntry?: boolean }): Stats | undefined {
    return this.statAt('stat', path, 0, options);
  }

  lstatSync(path: PathLike, options?: { throwIfNoEntry?: boolean }): Stats | undefined {
    return this.statAt('lstat', path, AT.SYMLINK_NOFOLLOW, options);
  }

  private statAt(syscall: string, path: PathLike, flags: number, options?: { throwIfNoEntry?: boolean }): Stats | undefined {
    const p = pathString(path);
    try {
      return new Stats(this.vfs.statAt(this.ctx, p, flags));
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (options?.throwIfNoEntry === false && e.errno === Errno.ENOENT) return undefined;
      throw nodeFsError(e.errno, syscall, p);
    }
  }

  existsSync(path: PathLike): boolean {
    try {
      this.vfs.statAt(this.ctx, pathString(path), 0);
      return true;
    } catch {
      return false;
    }
  }

  accessSync(path: PathLike, mode: number = ACCESS.F_OK): void {
    const p = pathString(path);
    asNode('access', p, () => this.vfs.accessAt(this.ctx, p, mode));
  }

  unlinkSync(path: PathLike): void {
    const p = pathString(path);
    asNode('unlink', p, () => this.vfs.unlinkAt(this.ctx, p, 0));
  }

  rmdirSync(path: PathLike): void {
    const p = pathString(path);
    asNode('rmdir', p, () => this.vfs.rmdirAt(this.ctx, p));
  }

  rmSync(path: PathLike, options: { recursive?: boolean; force?: boolean } = {}): void {
    const p = pathString(path);
    let st;
    try {
      st = this.vfs.statAt(this.ctx, p, AT.SYMLINK_NOFOLLOW);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.errno === Errno.ENOENT && options.force) return;
      // Node's rimraf (recursive and force) ignores other lstat errors and lets unlink report.
      if (!(options.force && options.recursive)) throw nodeFsError(e.errno, 'lstat', p);
    }
    if (st === undefined || (st.mode & S.IFMT) !== S.IFDIR) {
      try {
        return this.vfs.unlinkAt(this.ctx, p, 0);
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.ENOENT && options.force) return;
        if (e instanceof SysError) throw nodeFsError(e.errno, 'unlink', p);
        throw e;
      }
    }
    if (!options.recursive) throw rmIsDirectoryError(p);
    for (const e of this.listDir(p)) this.rmSync(`${p}/${e.name}`, options);
    this.rmdirSync(p);
  }

  renameSync(oldPath: PathLike, newPath: PathLike): void {
    const from = pathString(oldPath, 'oldPath');
    const to = pathString(newPath, 'newPath');
    asNode('rename', from, () => this.vfs.renameAt(this.ctx, from, this.ctx, to, 0), to);
  }

  linkSync(existingPath: PathLike, newPath: PathLike): void {
    const from = pathString(existingPath, 'existingPath');
    const to = pathString(newPath, 'newPath');
    asNode('link', from, () => this.vfs.linkAt(this.ctx, from, this.ctx, to, 0), to);
  }

  symlinkSync(target: PathLike, path: PathLike, _type?: string | null): void {
    const t = pathString(target, 'target');
    const p = pathString(path);
    asNode('symlink', t, () => this.vfs.symlinkAt(this.ctx, t, p), p);
  }

  readlinkSync(path: PathLike, options?: Encoding | { encoding?: Encoding }): string | Buffer {
    const p = pathString(path);
    const target = asNode('readlink', p, () => this.vfs.readlinkAt(this.ctx, p));
    return encode(Buffer.from(target), encodingOf(options) ?? 'utf8');
  }

  chmodSync(path: PathLike, mode: number | string): void {
    const p = pathString(path);
    const m = modeArg(mode, 0);
    asNode('chmod', p, () => this.vfs.chmodAt(this.ctx, p, m));
  }

  truncateSync(path: PathLike, len = 0): void {
    // As node: open for writing, then ftruncate.
    const d = this.openDesc(pathString(path), O.RDWR, 0o666);
    try {
      asNode('ftruncate', undefined, () => d.truncate(len));
    } finally {
      d.decRef();
    }
  }

  /** The current offset of `fd` (no node:fs counterpart; for streams). */
  tell(fd: number): number {
    return this.desc(fd, 'lseek').seek(0, SEEK.CUR);
  }
}

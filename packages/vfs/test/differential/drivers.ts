// Two implementations of one small file API: the VFS under test, and the
// host kernel (the oracle) through node:fs plus raw syscalls for what Node
// lacks. Every call returns plain data or { errno } so results compare with
// toEqual.
import * as nfs from 'node:fs';
import { Errno, SysError, errnoName } from '@tvisor/abi';
import * as native from '../../src/native/host-syscalls.js';
import { ROOT_CREDENTIALS, type FileDescription, type PathContext, type VirtualFilesystem } from '../../src/index.js';

export type Result = { ok: unknown } | { errno: string };

export interface StatSummary {
  type: number;
  uid: number;
  gid: number;
  perm: number;
  size?: number;
  nlink: number;
  blocks?: number;
}

/** The operations the differential tests drive. Paths are relative to the test root. */
export interface Driver {
  mkdir(path: string, mode: number): void;
  open(path: string, flags: number, mode: number): number;
  close(fd: number): void;
  write(fd: number, data: Uint8Array, pos: number | null): number;
  read(fd: number, len: number, pos: number | null): Uint8Array;
  lseek(fd: number, off: number, whence: number): number;
  ftruncate(fd: number, len: number): void;
  truncate(path: string, len: number): void;
  rename(from: string, to: string, flags: number): void;
  link(from: string, to: string): void;
  symlink(target: string, path: string): void;
  readlink(path: string): string;
  unlink(path: string): void;
  rmdir(path: string): void;
  chmod(path: string, mode: number): void;
  utimens(path: string, atimeSec: number, mtimeSec: number): void;
  stat(path: string, follow: boolean): StatSummary;
  fstat(fd: number): StatSummary;
  readdir(path: string): string[];
  access(path: string, mode: number): void;
  fallocate(fd: number, mode: number, offset: number, len: number): void;
  chown(path: string, uid: number, gid: number): void;
  mknod(path: string, mode: number): void;
}

/** Run `f`, capturing a Linux errno as its name. */
export function capture(f: () => unknown): Result {
  try {
    return { ok: f() };
  } catch (e) {
    if (e instanceof SysError) return { errno: errnoName(e.errno) };
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code in Errno) return { errno: code === 'EWOULDBLOCK' ? 'EAGAIN' : code };
    throw e;
  }
}

function summary(mode: number, uid: number, gid: number, size: number, nlink: number, blocks: number, withBlocks: boolean): StatSummary {
  const s: StatSummary = { type: mode & 0o170000, uid, gid, perm: mode & 0o7777, nlink, size };
  if (withBlocks) s.blocks = blocks;
  return s;
}

/** The oracle: a real directory on the host. */
export class HostDriver implements Driver {
  private readonly fds = new Map<number, number>();
  private nextSlot = 3;
  constructor(
    private readonly base: string,
    private readonly compareBlocks: boolean,
    private readonly compareDirSize: boolean,
  ) {}
  private p(path: string): string {
    if (path === '') return '';
    return path.startsWith('/') ? this.base + path : `${this.base}/${path}`;
  }
  private fd(slot: number): number {
    const fd = this.fds.get(slot);
    if (fd === undefined) throw new SysError(Errno.EBADF);
    return fd;
  }
  private sum(s: nfs.Stats): StatSummary {
    const r = summary(s.mode, s.uid, s.gid, s.size, s.nlink, s.blocks, this.compareBlocks);
    if (!this.compareDirSize && (s.mode & 0o170000) === 0o040000) delete r.size;
    return r;
  }
  mkdir(path: string, mode: number) {
    nfs.mkdirSync(this.p(path), mode);
  }
  open(path: string, flags: number, mode: number) {
    const fd = nfs.openSync(this.p(path), flags, mode);
    const slot = this.nextSlot++;
    this.fds.set(slot, fd);
    return slot;
  }
  close(slot: number) {
    nfs.closeSync(this.fd(slot));
    this.fds.delete(slot);
  }
  // Raw syscalls: Node skips the kernel for zero-length reads and writes.
  write(slot: number, data: Uint8Array, pos: number | null) {
    return pos === null ? native.write(this.fd(slot), data) : native.pwrite(this.fd(slot), data, pos);
  }
  read(slot: number, len: number, pos: number | null) {
    const buf = new Uint8Array(len);
    const n = pos === null ? native.read(this.fd(slot), buf) : native.pread(this.fd(slot), buf, pos);
    return buf.subarray(0, n);
  }
  lseek(slot: number, off: number, whence: number) {
    return native.lseek(this.fd(slot), off, whence);
  }
  ftruncate(slot: number, len: number) {
    native.ftruncate(this.fd(slot), len);
  }
  truncate(path: string, len: number) {
    native.truncatePath(this.p(path), len);
  }
  rename(from: string, to: string, flags: number) {
    native.renameat2(-100, this.p(from), -100, this.p(to), flags);
  }
  link(from: string, to: string) {
    nfs.linkSync(this.p(from), this.p(to));
  }
  symlink(target: string, path: string) {
    nfs.symlinkSync(target, this.p(path));
  }
  readlink(path: string) {
    return nfs.readlinkSync(this.p(path), 'utf8');
  }
  unlink(path: string) {
    nfs.unlinkSync(this.p(path));
  }
  rmdir(path: string) {
    nfs.rmdirSync(this.p(path));
  }
  chmod(path: string, mode: number) {
    nfs.chmodSync(this.p(path), mode);
  }
  utimens(path: string, a: number, m: number) {
    nfs.utimesSync(this.p(path), a, m);
  }
  stat(path: string, follow: boolean) {
    return this.sum(follow ? nfs.statSync(this.p(path)) : nfs.lstatSync(this.p(path)));
  }
  fstat(slot: number) {
    return this.sum(nfs.fstatSync(this.fd(slot)));
  }
  readdir(path: string) {
    return nfs.readdirSync(this.p(path)).sort();
  }
  access(path: string, mode: number) {
    nfs.accessSync(this.p(path), mode);
  }
  fallocate(slot: number, mode: number, offset: number, len: number) {
    native.fallocate(this.fd(slot), mode, offset, len);
  }
  chown(path: string, uid: number, gid: number) {
    nfs.chownSync(this.p(path), uid, gid);
  }
  mknod(path: string, mode: number) {
    native.mknodat(-100, this.p(path), mode, 0);
  }
  closeAll() {
    for (const fd of this.fds.values()) nfs.closeSync(fd);
    this.fds.clear();
  }
}

/** The system under test: a VirtualFilesystem. */
export class VfsDriver implements Driver {
  private readonly fds = new Map<number, FileDescription>();
  private nextSlot = 3;
  readonly ctx: PathContext;
  constructor(
    private readonly vfs: VirtualFilesystem,
    umask: number,
    private readonly compareBlocks: boolean,
    private readonly compareDirSize: boolean,
  ) {
    this.ctx = { ...vfs.context(ROOT_CREDENTIALS), umask };
  }
  private fd(slot: number): FileDescription {
    const fd = this.fds.get(slot);
    if (!fd) throw new SysError(Errno.EBADF);
    return fd;
  }
  private sum(s: { mode: number; uid: number; gid: number; size: number; nlink: number; blocks: number }): StatSummary {
    const r = summary(s.mode, s.uid, s.gid, s.size, s.nlink, s.blocks, this.compareBlocks);
    if (!this.compareDirSize && (s.mode & 0o170000) === 0o040000) delete r.size;
    return r;
  }
  mkdir(path: string, mode: number) {
    this.vfs.mkdirAt(this.ctx, path, mode);
  }
  open(path: string, flags: number, mode: number) {
    const fd = this.vfs.openAt(this.ctx, path, { flags, mode });
    const slot = this.nextSlot++;
    this.fds.set(slot, fd);
    return slot;
  }
  close(slot: number) {
    this.fd(slot).decRef();
    this.fds.delete(slot);
  }
  write(slot: number, data: Uint8Array, pos: number | null) {
    return this.fd(slot).write(data, pos ?? undefined);
  }
  read(slot: number, len: number, pos: number | null) {
    const buf = new Uint8Array(len);
    const n = this.fd(slot).read(buf, pos ?? undefined);
    return buf.subarray(0, n);
  }
  lseek(slot: number, off: number, whence: number) {
    return this.fd(slot).seek(off, whence);
  }
  ftruncate(slot: number, len: number) {
    this.fd(slot).truncate(len);
  }
  truncate(path: string, len: number) {
    this.vfs.truncateAt(this.ctx, path, len);
  }
  rename(from: string, to: string, flags: number) {
    this.vfs.renameAt(this.ctx, from, this.ctx, to, flags);
  }
  link(from: string, to: string) {
    this.vfs.linkAt(this.ctx, from, this.ctx, to, 0);
  }
  symlink(target: string, path: string) {
    this.vfs.symlinkAt(this.ctx, target, path);
  }
  readlink(path: string) {
    return this.vfs.readlinkAt(this.ctx, path);
  }
  unlink(path: string) {
    this.vfs.unlinkAt(this.ctx, path, 0);
  }
  rmdir(path: string) {
    this.vfs.rmdirAt(this.ctx, path);
  }
  chmod(path: string, mode: number) {
    this.vfs.chmodAt(this.ctx, path, mode, 0);
  }
  utimens(path: string, a: number, m: number) {
    this.vfs.utimensAt(
      this.ctx,
      path,
      [
        { sec: a, nsec: 0 },
        { sec: m, nsec: 0 },
      ],
      0,
    );
  }
  stat(path: string, follow: boolean) {
    return this.sum(this.vfs.statAt(this.ctx, path, follow ? 0 : 0x100));
  }
  fstat(slot: number) {
    return this.sum(this.fd(slot).stat());
  }
  readdir(path: string) {
    const fd = this.vfs.openAt(this.ctx, path, { flags: 0o200000 });
    try {
      return fd
        .getdents()
        .map((d) => d.name)
        .filter((n) => n !== '.' && n !== '..')
        .sort();
    } finally {
      fd.decRef();
    }
  }
  access(path: string, mode: number) {
    this.vfs.accessAt(this.ctx, path, mode, 0);
  }
  fallocate(slot: number, mode: number, offset: number, len: number) {
    this.fd(slot).allocate(mode, offset, len);
  }
  chown(path: string, uid: number, gid: number) {
    this.vfs.chownAt(this.ctx, path, uid, gid, 0);
  }
  mknod(path: string, mode: number) {
    this.vfs.mknodAt(this.ctx, path, mode, 0);
  }
  /** Close every open file, keeping the filesystem. */
  closeFiles() {
    for (const fd of this.fds.values()) fd.decRef();
    this.fds.clear();
  }
  closeAll() {
    this.closeFiles();
    this.vfs.dispose();
  }
}

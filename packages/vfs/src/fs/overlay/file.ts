import { Errno, SysError } from '../../abi.js';
import { iterSnapshot, seekDirectory } from '../../dirents.js';
import { FileImplBase, type DirentCallback, type FileDescription, type FileDescriptionImpl } from '../../file-description.js';
import type { ReadinessCallback } from '../../readiness.js';
import { nowTimespec, type StatInfo } from '../../stat.js';
import type { Credentials } from '../../credentials.js';
import type { Inode } from '../../inode.js';
import type { OverlayInode } from './inode.js';

/**
 * An open overlay file: I/O goes to the layer file opened underneath. A
 * description opened read-only on a lower file switches to the upper copy
 * once the file is copied up (as overlayfs does since Linux 4.19), so every
 * reader sees writes made through other descriptions. fstat is answered by
 * the overlay so that st_dev/st_ino match stat(2).
 */
export class OverlayFile implements FileDescriptionImpl {
  constructor(
    private readonly inode: OverlayInode,
    private inner: FileDescriptionImpl,
    /** The layer inode `inner` was opened on. */
    private innerInode: Inode,
    private readonly flags: number,
    private readonly creds: Credentials,
  ) {}

  /** The current implementation for `fd`, reopened on the upper copy after a copy-up. */
  private with(fd: FileDescription): FileDescriptionImpl {
    const upper = this.inode.upper;
    if (upper && upper !== this.innerInode) {
      const next = upper.open(this.flags, this.creds);
      this.inner.release(fd);
      this.inner = next;
      this.innerInode = upper;
    }
    return this.inner;
  }

  get stream(): boolean | undefined {
    return this.inner.stream;
  }
  pread(fd: FileDescription, dst: Uint8Array, offset: number): number {
    return this.with(fd).pread(fd, dst, offset);
  }
  read(fd: FileDescription, dst: Uint8Array): number {
    return this.with(fd).read(fd, dst);
  }
  pwrite(fd: FileDescription, src: Uint8Array, offset: number): number {
    return this.with(fd).pwrite(fd, src, offset);
  }
  write(fd: FileDescription, src: Uint8Array): number {
    return this.with(fd).write(fd, src);
  }
  seek(fd: FileDescription, offset: number, whence: number): number {
    return this.with(fd).seek(fd, offset, whence);
  }
  iterDirents(fd: FileDescription, cb: DirentCallback): void {
    this.with(fd).iterDirents(fd, cb);
  }
  ioctl(fd: FileDescription, cmd: number, arg: bigint): number {
    return this.with(fd).ioctl(fd, cmd, arg);
  }
  readiness(fd: FileDescription, mask: number): number {
    return this.with(fd).readiness(fd, mask);
  }
  subscribe(fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.with(fd).subscribe(fd, mask, cb);
  }
  allocate(fd: FileDescription, mode: number, offset: number, length: number): void {
    this.with(fd).allocate(fd, mode, offset, length);
  }
  truncate(fd: FileDescription, size: number): void {
    const inner = this.with(fd);
    if (inner.truncate) inner.truncate(fd, size);
    else this.inode.setStat({ size, mtime: nowTimespec() }, fd.creds);
  }
  sync(fd: FileDescription): void {
    this.with(fd).sync(fd);
  }
  get mappablePage(): ((fd: FileDescription, index: number) => Uint8Array) | undefined {
    // Only a file opened on (or since copied up to) a layer that has pages; a
    // read-only lower file is mapped shared as a snapshot, as before.
    const inner = this.inner;
    return inner.mappablePage ? (fd, index) => this.with(fd).mappablePage!(fd, index) : undefined;
  }
  release(fd: FileDescription): void {
    this.inner.release(fd);
  }
  stat(_fd: FileDescription): StatInfo {
    return this.inode.stat();
  }
}

/** An open overlay directory: the merged listing is snapshotted when reading starts. */
export class OverlayDirectoryFile extends FileImplBase {
  constructor(private readonly dir: OverlayInode) {
    super(dir);
  }

  override read(): number {
    throw new SysError(Errno.EISDIR);
  }
  override pread(): number {
    throw new SysError(Errno.EISDIR);
  }

  override iterDirents(fd: FileDescription, cb: DirentCallback): void {
    iterSnapshot(fd, () => this.dir.mergedEntries(), cb);
  }

  override seek(fd: FileDescription, offset: number, whence: number): number {
    return seekDirectory(fd, offset, whence);
  }
}

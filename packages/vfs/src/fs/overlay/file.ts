import { Errno, SysError } from '../../abi.js';
import { iterSnapshot, seekDirectory } from '../../dirents.js';
import { FileImplBase, type DirentCallback, type FileDescription, type FileDescriptionImpl } from '../../file-description.js';
import type { ReadinessCallback } from '../../readiness.js';
import type { StatInfo } from '../../stat.js';
import type { OverlayInode } from './inode.js';

/**
 * An open overlay file: I/O goes to the layer file opened underneath; only
 * fstat is answered by the overlay so that st_dev/st_ino match stat(2).
 */
export class OverlayFile implements FileDescriptionImpl {
  constructor(private readonly inode: OverlayInode, private readonly inner: FileDescriptionImpl) {}

  pread(fd: FileDescription, dst: Uint8Array, offset: number): number { return this.inner.pread(fd, dst, offset); }
  read(fd: FileDescription, dst: Uint8Array): number { return this.inner.read(fd, dst); }
  pwrite(fd: FileDescription, src: Uint8Array, offset: number): number { return this.inner.pwrite(fd, src, offset); }
  write(fd: FileDescription, src: Uint8Array): number { return this.inner.write(fd, src); }
  seek(fd: FileDescription, offset: number, whence: number): number { return this.inner.seek(fd, offset, whence); }
  iterDirents(fd: FileDescription, cb: DirentCallback): void { this.inner.iterDirents(fd, cb); }
  ioctl(fd: FileDescription, cmd: number, arg: bigint): number { return this.inner.ioctl(fd, cmd, arg); }
  readiness(fd: FileDescription, mask: number): number { return this.inner.readiness(fd, mask); }
  subscribe(fd: FileDescription, mask: number, cb: ReadinessCallback): () => void { return this.inner.subscribe(fd, mask, cb); }
  allocate(fd: FileDescription, mode: number, offset: number, length: number): void { this.inner.allocate(fd, mode, offset, length); }
  sync(fd: FileDescription): void { this.inner.sync(fd); }
  release(fd: FileDescription): void { this.inner.release(fd); }
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

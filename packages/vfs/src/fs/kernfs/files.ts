import { Errno, SEEK, SysError } from '../../abi.js';
import { iterSnapshot, seekDirectory } from '../../dirents.js';
import { FileImplBase, type DirentCallback, type FileDescription } from '../../file-description.js';
import type { DynamicFile, KernfsNode } from './nodes.js';
import { nodeType, toBytes } from './nodes.js';

/**
 * An open synthetic file: reads come from the content generated at open;
 * writes go to the callback, and a description open for reading then sees the
 * new content (a sysctl written with pwrite reads back what was written, as
 * Linux's proc_sys files do).
 */
export class KernfsSnapshotFile extends FileImplBase {
  constructor(
    private readonly file: DynamicFile,
    private content: Uint8Array,
  ) {
    super(file);
  }

  override pread(_fd: FileDescription, dst: Uint8Array, offset: number): number {
    if (offset >= this.content.length) return 0;
    const n = Math.min(dst.length, this.content.length - offset);
    dst.set(this.content.subarray(offset, offset + n));
    return n;
  }

  override pwrite(fd: FileDescription, src: Uint8Array, offset: number): number {
    if (!this.file.ops.write) throw new SysError(Errno.EINVAL);
    const n = this.file.ops.write(src.slice(), offset);
    if (fd.readable) this.content = toBytes(this.file.ops.read());
    return n;
  }

  override write(fd: FileDescription, src: Uint8Array): number {
    const n = this.pwrite(fd, src, fd.offset);
    fd.offset += n;
    return n;
  }

  override seek(fd: FileDescription, offset: number, whence: number): number {
    // procfs files are seq_files, which seek only from the start or the current position.
    if (whence === SEEK.END && this.file.fs.type === 'proc') throw new SysError(Errno.EINVAL);
    // Elsewhere SEEK_END is relative to the generated content, not the reported size.
    return super.seekWithSize(fd, offset, whence, this.content.length);
  }
}

/** An open synthetic directory; the listing is snapshotted when reading starts. */
export class KernfsDirectoryFile extends FileImplBase {
  constructor(
    dir: KernfsNode,
    private readonly list: () => Array<[string, KernfsNode]>,
  ) {
    super(dir);
  }

  override read(): number {
    throw new SysError(Errno.EISDIR);
  }
  override pread(): number {
    throw new SysError(Errno.EISDIR);
  }

  override iterDirents(fd: FileDescription, cb: DirentCallback): void {
    iterSnapshot(fd, () => this.list().map(([name, n]) => ({ name, ino: n.ino, type: nodeType(n) })), cb);
  }

  override seek(fd: FileDescription, offset: number, whence: number): number {
    // Linux's procfs and sysfs directories seek with generic_file_llseek: SEEK_END is relative to their size (0).
    if (whence === SEEK.END) return seekDirectory(fd, offset + this.stat(fd).size, SEEK.SET);
    return seekDirectory(fd, offset, whence);
  }
}

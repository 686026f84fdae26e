import { Errno, O, SysError } from '../../abi.js';
import { FileImplBase, type FileDescription } from '../../file-description.js';
import type { Inode } from '../../inode.js';
import type { ReadinessCallback } from '../../readiness.js';
import type { Pipe } from './pipe.js';

/**
 * One open end of a pipe or FIFO (a FIFO opened O_RDWR holds both ends).
 * Pipes are streams: pread/pwrite/lseek fail with ESPIPE.
 */
export class PipeFile extends FileImplBase {
  readonly stream = true;
  private released = false;

  constructor(
    inode: Inode,
    readonly pipe: Pipe,
    readonly reading: boolean,
    readonly writing: boolean,
    /** An anonymous pipe reopened through /proc/PID/fd: no waiting for a peer (fifo_open's is_pipe). */
    readonly anonymous = false,
  ) {
    super(inode);
    pipe.attach(reading, writing);
  }

  /**
   * For a FIFO opened without O_NONBLOCK: true once the other side exists
   * (a writer for a reader, a reader for a writer). The kernel waits on
   * `subscribe` until it holds, which is how open(2) blocks on a FIFO.
   */
  peerReady(): boolean {
    if ((this.reading && this.writing) || this.anonymous) return true;
    return this.reading ? this.pipe.writers > 0 : this.pipe.readers > 0;
  }

  override read(_fd: FileDescription, dst: Uint8Array): number {
    if (!this.reading) throw new SysError(Errno.EBADF);
    return this.pipe.read(dst);
  }
  override pread(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override write(fd: FileDescription, src: Uint8Array): number {
    if (!this.writing) throw new SysError(Errno.EBADF);
    return this.pipe.write(src, (fd.statusFlags & O.DIRECT) !== 0);
  }
  override pwrite(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override readiness(_fd: FileDescription, mask: number): number {
    return this.pipe.readiness(mask, this.reading, this.writing);
  }
  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.pipe.waiters.subscribe(mask, cb);
  }
  override allocate(): void {
    throw new SysError(Errno.ESPIPE);
  }
  override release(_fd: FileDescription): void {
    if (this.released) return;
    this.released = true;
    this.pipe.detach(this.reading, this.writing);
  }
}

/** Which ends an open(2) of a FIFO with `flags` takes. */
export function fifoEnds(flags: number): { reading: boolean; writing: boolean } {
  const acc = flags & O.ACCMODE;
  return { reading: acc === O.RDONLY || acc === O.RDWR, writing: acc === O.WRONLY || acc === O.RDWR };
}

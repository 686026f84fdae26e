import { Errno, SysError } from '@tvisor/abi';
import type { MemoryManager } from '@tvisor/mm';
import { DynamicFile, FileImplBase, seekWithoutEnd, type FileDescription, type FileDescriptionImpl, type Inode, type KernfsFilesystem } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { ThreadGroup } from '../../task.js';
import { mayAccessProcess } from '../../ptrace-access.js';

const PAGE = 4096;

/**
 * /proc/PID/mem: the process's address space as a file, the offset being the
 * address. Opening it needs ptrace access to the process (EACCES otherwise);
 * reads and writes go through the memory manager with a debugger's force
 * (a read-only mapping can be written, as gdb plants breakpoints), stop at
 * the first unmapped page (EIO when nothing moved), and see nothing once the
 * process has exited or exec'd another image (0 bytes).
 */
export class ProcessMemoryFile extends DynamicFile {
  constructor(
    fs: KernfsFilesystem,
    private readonly kernel: Kernel,
    private readonly g: ThreadGroup,
  ) {
    super(fs, { read: () => '', write: () => 0 }, { perm: 0o600, owner: () => ({ uid: g.creds.uid, gid: g.creds.gid }) });
  }

  override open(_flags: number): FileDescriptionImpl {
    const t = this.kernel.current;
    if (t && !mayAccessProcess(t, this.g)) throw new SysError(Errno.EACCES);
    return new ProcessMemoryImpl(this, this.kernel, this.g, this.g.exitStatus === undefined ? this.g.mm : undefined);
  }
}

class ProcessMemoryImpl extends FileImplBase {
  constructor(
    inode: Inode,
    private readonly kernel: Kernel,
    private readonly g: ThreadGroup,
    /** The address space the file was opened on; undefined if the process had none left. */
    private readonly mm: MemoryManager | undefined,
  ) {
    super(inode);
  }

  /** The address space while it is still the process's, else undefined (Linux's mmget_not_zero failing). */
  private live(): MemoryManager | undefined {
    return this.mm && this.g.exitStatus === undefined && this.g.mm === this.mm ? this.mm : undefined;
  }

  override pread(_fd: FileDescription, dst: Uint8Array, offset: number): number {
    const mm = this.live();
    if (!mm || dst.length === 0) return 0;
    return transfer(offset, dst.length, (addr, at, n) => mm.forEachBlock(addr, n, false, copyInto(dst, at), true));
  }

  override pwrite(_fd: FileDescription, src: Uint8Array, offset: number): number {
    const mm = this.live();
    if (!mm || src.length === 0) return 0;
    const n = transfer(offset, src.length, (addr, at, len) => mm.forEachBlock(addr, len, true, copyFrom(src, at), true));
    mm.addressSpace.flush();
    // A thread of another process running application code keeps its old view of a page
    // the write replaced (copy-on-write) until it next stops: stop it now so it sees the write.
    const current = this.kernel.current;
    if (current?.group !== this.g) {
      for (const x of this.g.tasks) if (!this.kernel.blocked.has(x) && !this.kernel.stoppedTasks.has(x)) this.kernel.platform.interrupt(x.context);
    }
    return n;
  }

  /** Only SEEK_SET and SEEK_CUR: the file has no end (Linux's mem_lseek). */
  override seek(fd: FileDescription, offset: number, whence: number): number {
    return seekWithoutEnd(fd, offset, whence);
  }
}

/** Moves `length` bytes page by page from address `addr`; a fault ends it: the count so far, or EIO if nothing moved. */
function transfer(addr: number, length: number, move: (addr: number, at: number, n: number) => void): number {
  let done = 0;
  while (done < length) {
    const n = Math.min(length - done, PAGE - ((addr + done) % PAGE));
    try {
      move(addr + done, done, n);
    } catch {
      break;
    }
    done += n;
  }
  if (done === 0) throw new SysError(Errno.EIO);
  return done;
}

function copyInto(dst: Uint8Array, at: number): (chunk: Uint8Array) => void {
  let off = at;
  return (chunk) => {
    dst.set(chunk, off);
    off += chunk.length;
  };
}

function copyFrom(src: Uint8Array, at: number): (chunk: Uint8Array) => void {
  let off = at;
  return (chunk) => {
    chunk.set(src.subarray(off, off + chunk.length));
    off += chunk.length;
  };
}

import { Errno, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';

/** The limit on fd numbers (RLIMIT_NOFILE's default soft limit). */
export const DEFAULT_NOFILE = 1024;

interface Slot {
  file: FileDescription;
  cloexec: boolean;
}

/**
 * A process's file descriptor table: small integers naming references to
 * open file descriptions, with the close-on-exec flag per descriptor.
 */
export class FdTable {
  private readonly slots: Array<Slot | undefined> = [];
  limit = DEFAULT_NOFILE;

  /**
   * `lastClose` runs before a description loses its last reference through
   * this table (to drop its flock and OFD locks).
   */
  constructor(private readonly lastClose: (file: FileDescription) => void = () => {}) {}

  private drop(file: FileDescription): void {
    if (file.refCount === 1) this.lastClose(file);
    file.decRef();
  }
  /** Processes sharing this table (clone with CLONE_FILES); the last one out closes everything. */
  private users = 1;

  /** Another process shares this table (CLONE_FILES). */
  share(): FdTable {
    this.users++;
    return this;
  }

  /**
   * This table for a process about to exec: itself when no one else uses it,
   * else a private copy (the process stops sharing this one).
   */
  unshare(): FdTable {
    if (this.users === 1) return this;
    const copy = this.fork();
    this.release();
    return copy;
  }

  /** A process using this table exited or exec'd away from it. */
  release(): void {
    if (--this.users === 0) this.closeAll();
  }

  /** The description behind `fd`, or EBADF. */
  get(fd: number): FileDescription {
    const slot = fd >= 0 ? this.slots[fd] : undefined;
    if (!slot) throw new SysError(Errno.EBADF);
    return slot.file;
  }

  /**
   * The description behind `fd` for a call that acts on the open file (Linux's fdget):
   * EBADF also when it is an O_PATH description, which only lookups such as fstat, fchdir,
   * dup, fcntl and *at dirfds accept.
   */
  getOpenFile(fd: number): FileDescription {
    const file = this.get(fd);
    if (file.isPath) throw new SysError(Errno.EBADF);
    return file;
  }

  /** Installs `file` (taking over the caller's reference) at the lowest free fd >= minFd. */
  add(file: FileDescription, cloexec = false, minFd = 0): number {
    for (let fd = minFd; fd < this.limit; fd++) {
      if (!this.slots[fd]) {
        this.slots[fd] = { file, cloexec };
        return fd;
      }
    }
    this.drop(file);
    throw new SysError(Errno.EMFILE);
  }

  /** Installs `file` at exactly `fd`, closing what was there (dup2 semantics). */
  set(fd: number, file: FileDescription, cloexec = false): void {
    if (fd < 0 || fd >= this.limit) throw new SysError(Errno.EBADF);
    const old = this.slots[fd];
    this.slots[fd] = { file, cloexec };
    if (old) this.drop(old.file);
  }

  close(fd: number): void {
    const slot = fd >= 0 ? this.slots[fd] : undefined;
    if (!slot) throw new SysError(Errno.EBADF);
    this.slots[fd] = undefined;
    this.drop(slot.file);
  }

  isCloexec(fd: number): boolean {
    this.get(fd);
    return this.slots[fd]!.cloexec;
  }

  setCloexec(fd: number, cloexec: boolean): void {
    this.get(fd);
    this.slots[fd]!.cloexec = cloexec;
  }

  /** A copy sharing every description (fork without CLONE_FILES). */
  fork(): FdTable {
    const t = new FdTable(this.lastClose);
    t.limit = this.limit;
    this.slots.forEach((slot, fd) => {
      if (slot) {
        slot.file.incRef();
        t.slots[fd] = { ...slot };
      }
    });
    return t;
  }

  /** Closes every close-on-exec descriptor (execve). */
  closeOnExec(): void {
    this.slots.forEach((slot, fd) => {
      if (slot?.cloexec) this.close(fd);
    });
  }

  closeAll(): void {
    this.slots.forEach((slot, fd) => {
      if (slot) this.close(fd);
    });
  }

  /** The open fds in ascending order (for /proc/PID/fd). */
  fds(): number[] {
    const out: number[] = [];
    this.slots.forEach((slot, fd) => {
      if (slot) out.push(fd);
    });
    return out;
  }
}

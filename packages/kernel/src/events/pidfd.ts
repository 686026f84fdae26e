import { Errno, POLL, SysError } from '@tvisor/abi';
import { FileImplBase, WaiterQueue, type FileDescription, type ReadinessCallback } from '@tvisor/vfs';
import { anonFile, anonInode } from './anon-inode.js';
import type { ThreadGroup } from '../task.js';

/**
 * A pidfd (pidfd_open(2), clone's CLONE_PIDFD): a handle on one process
 * that never names another, even after its pid is reused. It reads as
 * nothing (EINVAL) and polls readable once the process has exited, with
 * POLLHUP added once it has been reaped (Linux 6.10's behaviour).
 */
export class PidFdImpl extends FileImplBase {
  private readonly waiters = new WaiterQueue();

  constructor(readonly group: ThreadGroup) {
    super(anonInode());
    if (group.exitStatus === undefined) {
      const onExit = (): void => {
        group.exitWatchers.delete(onExit);
        this.waiters.notify(POLL.IN | POLL.RDNORM);
      };
      group.exitWatchers.add(onExit);
    }
  }

  /** Whether the process has exited and its parent has reaped it (its pid is free). */
  get reaped(): boolean {
    const g = this.group;
    return g.exitStatus !== undefined && !(g.parent?.children.has(g) ?? false);
  }

  override read(): number {
    throw new SysError(Errno.EINVAL);
  }
  override write(): number {
    throw new SysError(Errno.EINVAL);
  }
  override pread(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override pwrite(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }

  /** Linux's pidfd ioctls (namespace and info queries, not offered) take no argument: a non-zero one is EINVAL, before the command is looked at. */
  override ioctl(_fd: FileDescription, _cmd: number, arg: bigint): number {
    throw new SysError(arg !== 0n ? Errno.EINVAL : Errno.ENOTTY);
  }

  override readiness(_fd: FileDescription, mask: number): number {
    if (this.group.exitStatus === undefined) return 0;
    const r = POLL.IN | POLL.RDNORM | (this.reaped ? POLL.HUP : 0);
    return r & (mask | POLL.ERR | POLL.HUP);
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.waiters.subscribe(mask, cb);
  }
}

/** A new pidfd description (`anon_inode:[pidfd]`) for `group`; the caller owns its reference. */
export function createPidFd(group: ThreadGroup, statusFlags: number): FileDescription {
  return anonFile('[pidfd]', new PidFdImpl(group), statusFlags);
}

/** The process behind pidfd `file`, or EBADF if it is not a pidfd. */
export function pidFdGroup(file: FileDescription): ThreadGroup {
  if (!(file.impl instanceof PidFdImpl)) throw new SysError(Errno.EBADF);
  return file.impl.group;
}

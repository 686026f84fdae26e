import { Errno, POLL, SysError } from '@tvisor/abi';
import { FileImplBase, WaiterQueue, type FileDescription, type ReadinessCallback } from '@tvisor/vfs';
import { anonFile, anonInode } from './anon-inode.js';

/** The largest value the counter can hold (eventfd(2): 0xfffffffffffffffe). */
export const EVENTFD_MAX = 0xffff_ffff_ffff_fffen;

/**
 * An eventfd's 64-bit counter. read(2) takes the whole counter (or 1 in
 * semaphore mode) and fails with EAGAIN at 0; write(2) adds to it and fails
 * with EAGAIN when the sum would pass EVENTFD_MAX. The kernel's blocking
 * read/write turn EAGAIN into a wait on readiness for blocking descriptors.
 */
export class EventFdImpl extends FileImplBase {
  /** No file position: pread and pwrite are ESPIPE. */
  readonly stream = true;
  private counter: bigint;
  private readonly waiters = new WaiterQueue();

  constructor(
    initial: number,
    readonly semaphore: boolean,
  ) {
    super(anonInode());
    this.counter = BigInt(initial >>> 0);
  }

  /** The counter's current value (for /proc fdinfo and tests). */
  get count(): bigint {
    return this.counter;
  }

  override read(_fd: FileDescription, dst: Uint8Array): number {
    if (dst.length < 8) throw new SysError(Errno.EINVAL);
    if (this.counter === 0n) throw new SysError(Errno.EAGAIN);
    const value = this.semaphore ? 1n : this.counter;
    this.counter -= value;
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, value, true);
    this.waiters.notify(POLL.OUT | POLL.WRNORM);
    return 8;
  }

  override write(_fd: FileDescription, src: Uint8Array): number {
    // Exactly one u64: Linux 6.9 and later refuse longer writes too.
    if (src.length !== 8) throw new SysError(Errno.EINVAL);
    const value = new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true);
    if (value === 0xffff_ffff_ffff_ffffn) throw new SysError(Errno.EINVAL);
    if (value > EVENTFD_MAX - this.counter) throw new SysError(Errno.EAGAIN);
    this.counter += value;
    // Linux wakes readers on every write, even of 0: edge-triggered epoll sees each one.
    this.waiters.notify(POLL.IN | POLL.RDNORM);
    return 8;
  }

  /**
   * Adds `value` from inside the kernel (Linux's eventfd_signal, used by AIO
   * completions): the counter saturates at its maximum instead of failing.
   */
  signal(value: bigint): void {
    this.counter += value < EVENTFD_MAX - this.counter ? value : EVENTFD_MAX - this.counter;
    this.waiters.notify(POLL.IN | POLL.RDNORM);
  }

  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }

  override readiness(_fd: FileDescription, mask: number): number {
    let r = 0;
    if (this.counter > 0n) r |= POLL.IN | POLL.RDNORM;
    if (this.counter < EVENTFD_MAX) r |= POLL.OUT | POLL.WRNORM;
    return r & (mask | POLL.ERR | POLL.HUP);
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.waiters.subscribe(mask, cb);
  }
}

/** A new eventfd description (`anon_inode:[eventfd]`) with counter `initial`; the caller owns its reference. */
export function createEventFd(initial: number, semaphore: boolean, statusFlags: number): FileDescription {
  return anonFile('[eventfd]', new EventFdImpl(initial, semaphore), statusFlags);
}

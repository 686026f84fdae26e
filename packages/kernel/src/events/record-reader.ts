import { Errno, SysError } from '@tvisor/abi';

/**
 * Hands whole records (signalfd_siginfo, inotify_event) to read(2), which
 * delivers a user buffer in chunks that may split at page boundaries. A
 * chunk that starts too small for the next record takes its first bytes
 * and the rest is carried into the next chunk; otherwise only whole records
 * are given, so a buffer that is not a multiple of the record size gets the
 * whole records that fit, as Linux gives.
 */
export class RecordReader {
  private carry: Uint8Array | undefined;

  /**
   * Fills `dst` from the carried bytes, then from `next()` (which takes one
   * record off the file's queue, or returns undefined when it is empty;
   * `peekSize()` tells the next record's size without taking it). EAGAIN
   * when there was nothing to give.
   */
  read(dst: Uint8Array, peekSize: () => number | undefined, next: () => Uint8Array): number {
    let n = 0;
    if (this.carry) {
      const take = Math.min(this.carry.length, dst.length);
      dst.set(this.carry.subarray(0, take));
      this.carry = take < this.carry.length ? this.carry.subarray(take) : undefined;
      n = take;
      if (this.carry) return n;
    }
    for (;;) {
      const size = peekSize();
      if (size === undefined) break;
      const room = dst.length - n;
      if (size <= room) {
        dst.set(next(), n);
        n += size;
        continue;
      }
      if (n > 0 || room === 0) break;
      const rec = next();
      dst.set(rec.subarray(0, room));
      this.carry = rec.subarray(room);
      n = room;
      break;
    }
    if (n === 0) throw new SysError(Errno.EAGAIN);
    return n;
  }

  /** Whether part of a record is still owed to the reader. */
  get hasCarry(): boolean {
    return this.carry !== undefined;
  }
}

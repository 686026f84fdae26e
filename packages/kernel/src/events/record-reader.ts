import { Errno, SysError } from '@tvisor/abi';

/**
 * Hands whole records (signalfd_siginfo, inotify_event) to read(2), which
 * delivers a user buffer in chunks of application memory that split only
 * at page boundaries. A chunk too small for the next record that ends on a
 * page boundary may be the first part of a bigger buffer: it takes the
 * record's first bytes and the rest is carried into the next chunk. One
 * that ends elsewhere is the end of the caller's buffer: too small, EINVAL,
 * as Linux says. Otherwise only whole records are given, so a buffer that
 * is not a multiple of the record size gets the whole records that fit.
 */
export class RecordReader {
  private carry: Uint8Array | undefined;

  private readonly pageSize: number;
  private readonly fixedSize: number | undefined;

  /**
   * `fixedSize`: every record has this size, so a buffer too small for one
   * is EINVAL even while none is queued (signalfd); without it, only the
   * next record's size counts (inotify). `pageSize`: where chunks of
   * application memory may split (tests use small pages).
   */
  constructor(opts: { fixedSize?: number; pageSize?: number } = {}) {
    this.pageSize = opts.pageSize ?? 4096;
    this.fixedSize = opts.fixedSize;
  }

  /** Whether `dst` ends inside a page: then it is the end of the caller's buffer, not a split. */
  private endsInsidePage(dst: Uint8Array): boolean {
    // The chunk's position in its buffer is its position in the page (the memory file is page-aligned).
    return (dst.byteOffset + dst.length) % this.pageSize !== 0;
  }

  /**
   * Fills `dst` from the carried bytes, then from `next()` (which takes one
   * record off the file's queue, or returns undefined when it is empty;
   * `peekSize()` tells the next record's size without taking it). EAGAIN
   * when there was nothing to give, EINVAL when the buffer is too small for
   * the next record.
   */
  read(dst: Uint8Array, peekSize: () => number | undefined, next: () => Uint8Array): number {
    let n = 0;
    if (!this.carry && this.fixedSize !== undefined && dst.length < this.fixedSize && this.endsInsidePage(dst)) throw new SysError(Errno.EINVAL);
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
      if (this.endsInsidePage(dst)) throw new SysError(Errno.EINVAL);
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

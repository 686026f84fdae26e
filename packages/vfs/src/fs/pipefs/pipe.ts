import { Errno, POLL, SysError } from '../../abi.js';
import { WaiterQueue } from '../../readiness.js';

/** Default pipe capacity (16 pages), as on Linux. */
export const PIPE_DEFAULT_SIZE = 65536;
/** Writes of at most this many bytes are atomic. */
export const PIPE_BUF = 4096;
/** /proc/sys/fs/pipe-max-size default: the most F_SETPIPE_SZ grants an unprivileged user. */
export const PIPE_MAX_SIZE = 1048576;
/** A pipe's buffer is counted in pages (Linux's pipe_buffer slots). */
const PIPE_PAGE = 4096;
/** F_SETPIPE_SZ sizes above 2 GiB cannot be rounded to a page count (EINVAL, as round_pipe_size gives 0). */
const PIPE_SIZE_LIMIT = 2 ** 31;

/** Queued bytes: a packet (written with O_DIRECT) is read whole or its rest is dropped. */
interface PipeChunk {
  data: Uint8Array;
  packet: boolean;
}

/**
 * A pipe's buffer and endpoint counts. Never blocks: an operation that
 * would block throws EAGAIN, and the caller waits for the readiness event
 * (POLLIN for readers, POLLOUT for writers) announced through `waiters`.
 */
export class Pipe {
  readonly waiters = new WaiterQueue();
  private chunks: PipeChunk[] = [];
  /** Read position within chunks[0]. */
  private head = 0;
  private used = 0;
  capacity = PIPE_DEFAULT_SIZE;
  readers = 0;
  writers = 0;
  /** Whether a writer has ever been attached (POLLHUP is only reported after one leaves). */
  hadWriter = false;
  hadReader = false;
  /** Called when the last reader and writer are gone (FIFOs forget their pipe then). */
  onIdle: (() => void) | null = null;

  /** Bytes waiting to be read (FIONREAD). */
  get queued(): number {
    return this.used;
  }

  /**
   * Read up to dst.length bytes. 0 = end of file (no writers left); EAGAIN when empty with writers.
   * A packet (pipe2 O_DIRECT, pipe(7)) ends the read, and what of it does not fit in dst is discarded.
   */
  read(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    if (this.used === 0) {
      if (this.writers === 0) return 0;
      throw new SysError(Errno.EAGAIN);
    }
    let n = 0;
    let consumed = 0;
    while (n < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0];
      const take = Math.min(c.data.length - this.head, dst.length - n);
      dst.set(c.data.subarray(this.head, this.head + take), n);
      n += take;
      this.head += take;
      consumed += take;
      if (c.packet) {
        consumed += c.data.length - this.head;
        this.head = c.data.length;
      }
      if (this.head === c.data.length) {
        this.chunks.shift();
        this.head = 0;
      }
      if (c.packet) break;
    }
    this.used -= consumed;
    this.waiters.notify(POLL.OUT | POLL.WRNORM);
    return n;
  }

  /**
   * Write from `src`: all of it if it fits, atomically when at most PIPE_BUF
   * bytes; a larger write takes what fits. EPIPE without readers (the caller
   * raises SIGPIPE); EAGAIN when nothing can be written now. In packet
   * mode each PIPE_BUF-sized piece is its own packet.
   */
  write(src: Uint8Array, packet = false): number {
    if (this.readers === 0) throw new SysError(Errno.EPIPE);
    if (src.length === 0) return 0;
    const space = this.capacity - this.used;
    if (src.length <= PIPE_BUF ? space < src.length : space === 0) throw new SysError(Errno.EAGAIN);
    const n = Math.min(space, src.length);
    if (!packet) this.chunks.push({ data: src.slice(0, n), packet });
    for (let at = 0; packet && at < n; at += PIPE_BUF) this.chunks.push({ data: src.slice(at, Math.min(n, at + PIPE_BUF)), packet });
    this.used += n;
    this.waiters.notify(POLL.IN | POLL.RDNORM);
    return n;
  }

  /**
   * Room for spliced data: splice(2) and tee(2) put whole pages in slots of
   * their own (no merging into a partly filled one), so only free slots count.
   */
  get freePages(): number {
    return (this.capacity - Math.ceil(this.used / PIPE_PAGE) * PIPE_PAGE) / PIPE_PAGE;
  }

  /**
   * Copies up to dst.length queued bytes without consuming them (tee(2),
   * and splice(2), which consumes only what its destination took).
   */
  peek(dst: Uint8Array): number {
    let n = 0;
    let head = this.head;
    for (const c of this.chunks) {
      if (n === dst.length) break;
      const take = Math.min(c.data.length - head, dst.length - n);
      dst.set(c.data.subarray(head, head + take), n);
      n += take;
      head = 0;
    }
    return n;
  }

  /** Drops `n` queued bytes that splice(2) moved on (packets are not cut short here). */
  consume(n: number): void {
    while (n > 0 && this.chunks.length > 0) {
      const c = this.chunks[0];
      const take = Math.min(c.data.length - this.head, n);
      this.head += take;
      this.used -= take;
      n -= take;
      if (this.head === c.data.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.waiters.notify(POLL.OUT | POLL.WRNORM);
  }

  /** Readiness as seen from a reading and/or writing end. */
  readiness(mask: number, reading: boolean, writing: boolean): number {
    let r = 0;
    if (reading) {
      if (this.used > 0) r |= POLL.IN | POLL.RDNORM;
      if (this.writers === 0 && this.hadWriter) r |= POLL.HUP;
    }
    if (writing) {
      if (this.capacity - this.used >= PIPE_BUF) r |= POLL.OUT | POLL.WRNORM;
      if (this.readers === 0) r |= POLL.ERR;
    }
    return r & (mask | POLL.HUP | POLL.ERR);
  }

  /**
   * F_SETPIPE_SZ: round up to a power-of-two number of pages (at least one);
   * EINVAL above 2 GiB; EPERM growing past pipe-max-size without privilege
   * (CAP_SYS_RESOURCE); EBUSY if the queued pages would not fit.
   */
  setCapacity(size: number, privileged: boolean): number {
    if (size < 0 || size > PIPE_SIZE_LIMIT) throw new SysError(Errno.EINVAL);
    let pages = 1;
    while (pages * PIPE_PAGE < size) pages *= 2;
    const cap = pages * PIPE_PAGE;
    if (cap > this.capacity && cap > PIPE_MAX_SIZE && !privileged) throw new SysError(Errno.EPERM);
    if (pages < Math.ceil(this.used / PIPE_PAGE)) throw new SysError(Errno.EBUSY);
    this.capacity = cap;
    this.waiters.notify(POLL.OUT | POLL.WRNORM);
    return cap;
  }

  attach(reading: boolean, writing: boolean): void {
    if (reading) {
      this.readers++;
      this.hadReader = true;
    }
    if (writing) {
      this.writers++;
      this.hadWriter = true;
    }
    // Wake FIFO openers waiting for a peer.
    this.waiters.notify(POLL.IN | POLL.OUT);
  }

  detach(reading: boolean, writing: boolean): void {
    if (reading && --this.readers === 0) this.waiters.notify(POLL.ERR | POLL.OUT);
    if (writing && --this.writers === 0) this.waiters.notify(POLL.HUP | POLL.IN);
    if (this.readers === 0 && this.writers === 0) this.onIdle?.();
  }
}

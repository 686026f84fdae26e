import { Errno, O, PAGE_SIZE, POLL, S, Signal, SPLICE_F, SysError } from '@tvisor/abi';
import { MAX_RW_COUNT } from '@tvisor/mm';
import { PipeFile, type FileDescription } from '@tvisor/vfs';
import { blockingOp } from '../blocking-io.js';
import type { Task } from '../task.js';
import { readToUser, withinFileSizeLimit, writeFromUser } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

const CHUNK = 128 * 1024;
const INT64_MAX = (1n << 63n) - 1n;

/** The pipe end behind a description, if it is one. */
function pipeEnd(f: FileDescription): PipeFile | undefined {
  return f.impl instanceof PipeFile ? f.impl : undefined;
}

/**
 * Moves up to `count` bytes from `src` to `dst` through a sentry buffer
 * (sendfile, splice, copy_file_range): reads at `inOff` when given (not
 * moving src's offset), writes at `outOff` when given. A pipe source is
 * only consumed as far as `dst` took it, and no more is taken from a file
 * than a destination pipe has room for, so nothing is lost on a short
 * write. Stops at EOF or a short write; the first would-block throws
 * EAGAIN (unless something moved already).
 */
function transfer(
  t: Task,
  src: FileDescription,
  dst: FileDescription,
  count: number,
  inOff?: number,
  outOff?: number,
): { n: number; inOff?: number; outOff?: number } {
  const from = pipeEnd(src);
  const to = pipeEnd(dst);
  let done = 0;
  // One buffer for the whole call: a file copied onto itself moves only the gap between its
  // read and write positions per round (1 byte for sendfile_test's SendFileToSelf, 10 Mi rounds).
  let chunk: Uint8Array | undefined;
  while (done < count) {
    let want = Math.min(CHUNK, count - done);
    if (to?.pipe.readers === 0) {
      if (done > 0) break;
      t.kernel.raiseSignal(t, Signal.SIGPIPE);
      throw new SysError(Errno.EPIPE);
    }
    if (to) want = Math.min(want, to.pipe.freePages * PAGE_SIZE);
    if (want === 0) {
      if (done > 0) break;
      throw new SysError(Errno.EAGAIN);
    }
    chunk ??= new Uint8Array(Math.min(CHUNK, count));
    const buf = chunk.subarray(0, want);
    let got: number;
    try {
      got = from && from.pipe.queued > 0 ? from.pipe.peek(buf) : src.read(buf, inOff === undefined ? undefined : inOff + done);
    } catch (e) {
      if (done > 0) break;
      throw e;
    }
    if (got === 0) break;
    let put = 0;
    let failure: unknown;
    try {
      const allowed = withinFileSizeLimit(t, dst, got, outOff === undefined ? undefined : outOff + done);
      while (put < allowed) {
        const w = dst.write(buf.subarray(put, allowed), outOff === undefined ? undefined : outOff + done + put);
        put += w;
        if (w === 0) break;
      }
    } catch (e) {
      failure = e;
    }
    from?.pipe.consume(put);
    done += put;
    if (failure !== undefined && done === 0) throw failure;
    if (put < got) break;
  }
  return { n: done, inOff: inOff === undefined ? undefined : inOff + done, outOff: outOff === undefined ? undefined : outOff + done };
}

/** A loff_t argument: EINVAL if negative, or if `len` more bytes from it would pass the largest offset (rw_verify_area). */
function readOffset(t: Task, addr: number, len = 0): number | undefined {
  if (addr === 0) return undefined;
  const b = t.mm.copyIn(addr, 8);
  const off = new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
  if (off < 0n || off + BigInt(len) > INT64_MAX) throw new SysError(Errno.EINVAL);
  return Number(off);
}

function writeOffset(t: Task, addr: number, off: number | undefined): void {
  if (addr === 0 || off === undefined) return;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(off), true);
  t.mm.copyOut(addr, out);
}

function sendfile(t: Task, outFd: number, inFd: number, offAddr: number, count: number): number {
  const dst = t.group.fds.get(outFd);
  const src = t.group.fds.get(inFd);
  if (!src.readable || !dst.writable) throw new SysError(Errno.EBADF);
  // Linux's rw_verify_area: a count that is negative as ssize_t, or an offset
  // it would carry past 2^63 - 1, is EINVAL.
  if (count >= 2 ** 63) throw new SysError(Errno.EINVAL);
  const inOff = readOffset(t, offAddr, count);
  if (dst.statusFlags & O.APPEND) throw new SysError(Errno.EINVAL);
  // A directory has nothing to splice from.
  if ((src.stat().mode & S.IFMT) === S.IFDIR) throw new SysError(Errno.EINVAL);
  // Without an offset a regular file is read at its file position, which moves
  // by what the destination took, not by what was read: a socket whose buffer
  // fills takes less, and the rest must be read again by the next call.
  const atPosition = inOff === undefined && (src.stat().mode & S.IFMT) === S.IFREG;
  return blockingTransfer(t, src, dst, () => {
    const r = transfer(t, src, dst, Math.min(count, MAX_RW_COUNT), atPosition ? src.offset : inOff);
    if (atPosition) src.offset = r.inOff ?? src.offset;
    else writeOffset(t, offAddr, r.inOff);
    return r.n;
  });
}

/**
 * Runs a file-to-file transfer that may find either end not ready: it waits
 * on the end that blocked it (an empty source, or a full destination), as a
 * blocking read or write on that end would; with SPLICE_F_NONBLOCK it fails
 * with EAGAIN instead.
 */
function blockingTransfer(t: Task, src: FileDescription, dst: FileDescription, op: () => number, nonblock = false): number {
  try {
    return op();
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN || nonblock) throw e;
  }
  const sourceEmpty = (src.readiness(POLL.IN | POLL.HUP) & (POLL.IN | POLL.HUP)) === 0;
  return sourceEmpty ? blockingOp(t, src, POLL.IN, op) : blockingOp(t, dst, POLL.OUT, op);
}

function isPipe(f: FileDescription): boolean {
  return (f.stat().mode & S.IFMT) === S.IFIFO;
}

function splice(t: Task, inFd: number, inOffAddr: number, outFd: number, outOffAddr: number, len: number, flags: number): number {
  const src = t.group.fds.get(inFd);
  const dst = t.group.fds.get(outFd);
  if (!src.readable || !dst.writable) throw new SysError(Errno.EBADF);
  if (!isPipe(src) && !isPipe(dst)) throw new SysError(Errno.EINVAL);
  if (pipeEnd(src) && pipeEnd(src)?.pipe === pipeEnd(dst)?.pipe) throw new SysError(Errno.EINVAL);
  if ((isPipe(src) && inOffAddr !== 0) || (isPipe(dst) && outOffAddr !== 0)) throw new SysError(Errno.ESPIPE);
  const inOff = readOffset(t, inOffAddr, len);
  const outOff = readOffset(t, outOffAddr, len);
  return blockingTransfer(
    t,
    src,
    dst,
    () => {
      const r = transfer(t, src, dst, Math.min(len, MAX_RW_COUNT), inOff, outOff);
      writeOffset(t, inOffAddr, r.inOff);
      writeOffset(t, outOffAddr, r.outOff);
      return r.n;
    },
    (flags & SPLICE_F.NONBLOCK) !== 0,
  );
}

/**
 * tee(2): copies up to `len` bytes queued in one pipe into another without
 * consuming them. Waits for data in the source (0 once it has no writers)
 * and for room in the destination, unless SPLICE_F_NONBLOCK.
 */
function tee(t: Task, inFd: number, outFd: number, len: number, flags: number): number {
  if (flags & ~(SPLICE_F.MOVE | SPLICE_F.NONBLOCK | SPLICE_F.MORE | SPLICE_F.GIFT)) throw new SysError(Errno.EINVAL);
  const src = t.group.fds.get(inFd);
  const dst = t.group.fds.get(outFd);
  const from = pipeEnd(src);
  const to = pipeEnd(dst);
  if (!from || !to || !src.readable || !dst.writable) throw new SysError(Errno.EINVAL);
  if (from.pipe === to.pipe) throw new SysError(Errno.EINVAL);
  const op = (): number => {
    if (len === 0) return 0;
    if (from.pipe.queued === 0) {
      if (from.pipe.writers === 0) return 0;
      throw new SysError(Errno.EAGAIN);
    }
    if (to.pipe.readers === 0) {
      t.kernel.raiseSignal(t, Signal.SIGPIPE);
      throw new SysError(Errno.EPIPE);
    }
    const buf = new Uint8Array(Math.min(len, from.pipe.queued, to.pipe.freePages * PAGE_SIZE, MAX_RW_COUNT));
    if (buf.length === 0) throw new SysError(Errno.EAGAIN);
    from.pipe.peek(buf);
    return dst.write(buf);
  };
  return blockingTransfer(t, src, dst, op, (flags & SPLICE_F.NONBLOCK) !== 0);
}

/**
 * vmsplice(2) toward a pipe: the iovecs' bytes are copied in (gifting pages
 * is not modelled); from a pipe: queued bytes are read out into the iovecs.
 */
function vmsplice(t: Task, fd: number, iov: number, count: number, flags: number): number {
  if (flags & ~(SPLICE_F.MOVE | SPLICE_F.NONBLOCK | SPLICE_F.MORE | SPLICE_F.GIFT)) throw new SysError(Errno.EINVAL);
  const file = t.group.fds.get(fd);
  const end = pipeEnd(file);
  if (!end) throw new SysError(Errno.EBADF);
  const vecs = t.mm.readIovecs(iov, count);
  const writing = end.writing && file.writable;
  if (!writing && !(end.reading && file.readable)) throw new SysError(Errno.EBADF);
  const op = (): number => {
    let total = 0;
    for (const { base, len } of vecs) {
      if (len === 0) continue;
      let n: number;
      try {
        n = writing ? writeFromUser(t, file, base, len) : readToUser(t, file, base, len);
      } catch (e) {
        if (total > 0) break;
        throw e;
      }
      total += n;
      if (n < len) break;
    }
    return total;
  };
  if (flags & SPLICE_F.NONBLOCK) return op();
  return blockingOp(t, file, writing ? POLL.OUT : POLL.IN, op);
}

function copyFileRange(t: Task, inFd: number, inOffAddr: number, outFd: number, outOffAddr: number, len: number, flags: number): number {
  if (flags !== 0) throw new SysError(Errno.EINVAL);
  const src = t.group.fds.get(inFd);
  const dst = t.group.fds.get(outFd);
  if (!src.readable || !dst.writable || dst.statusFlags & O.APPEND) throw new SysError(Errno.EBADF);
  const modeOf = (f: FileDescription) => f.stat().mode & S.IFMT;
  if (modeOf(src) === S.IFDIR || modeOf(dst) === S.IFDIR) throw new SysError(Errno.EISDIR);
  if (modeOf(src) !== S.IFREG || modeOf(dst) !== S.IFREG) throw new SysError(Errno.EINVAL);
  const inOff = readOffset(t, inOffAddr);
  const outOff = readOffset(t, outOffAddr);
  // Without an offset argument the files' own positions are used and advanced by their read and
  // write, as read(2)/write(2) do: a host file's position lives in the host, not in dst.offset.
  const r = transfer(t, src, dst, Math.min(len, MAX_RW_COUNT), inOff, outOff);
  if (inOffAddr !== 0) writeOffset(t, inOffAddr, r.inOff);
  if (outOffAddr !== 0) writeOffset(t, outOffAddr, r.outOff);
  return r.n;
}

/** Transfers between files without a user buffer: sendfile, splice, tee, vmsplice, copy_file_range. */
export function registerSpliceSyscalls(table: SyscallTable): void {
  table.register({
    sendfile: { args: ['fd', 'fd', 'ptr', 'uint'], handler: (t, a) => sendfile(t, a.argInt(0), a.argInt(1), a.arg(2), a.arg(3)) },
    splice: {
      args: ['fd', 'ptr', 'fd', 'ptr', 'uint', 'hex'],
      support: 'partial',
      note: 'copies through the sentry (no page moves)',
      handler: (t, a) => splice(t, a.argInt(0), a.arg(1), a.argInt(2), a.arg(3), a.arg(4), a.argUint(5)),
    },
    tee: { args: ['fd', 'fd', 'uint', 'hex'], handler: (t, a) => tee(t, a.argInt(0), a.argInt(1), a.arg(2), a.argUint(3)) },
    vmsplice: {
      args: ['fd', 'ptr', 'uint', 'hex'],
      support: 'partial',
      note: 'copies (SPLICE_F_GIFT pages are not moved)',
      handler: (t, a) => vmsplice(t, a.argInt(0), a.arg(1), a.arg(2), a.argUint(3)),
    },
    copy_file_range: {
      args: ['fd', 'ptr', 'fd', 'ptr', 'uint', 'hex'],
      handler: (t, a) => copyFileRange(t, a.argInt(0), a.arg(1), a.argInt(2), a.arg(3), a.arg(4), a.argUint(5)),
    },
  });
}

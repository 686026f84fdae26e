import { Errno, O, POLL, S, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import { blockingOp } from '../blocking-io.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

const CHUNK = 128 * 1024;
const MAX_RW_COUNT = 0x7ffff000;

/**
 * Moves up to `count` bytes from `src` to `dst` through a sentry buffer
 * (sendfile, splice, copy_file_range): reads at `inOff` when given (not
 * moving src's offset), writes at `outOff` when given. Stops at EOF or a
 * short write; the first would-block parks the caller (unless it moved
 * something already).
 */
function transfer(
  t: Task,
  src: FileDescription,
  dst: FileDescription,
  count: number,
  inOff?: number,
  outOff?: number,
): { n: number; inOff?: number; outOff?: number } {
  const buf = new Uint8Array(Math.min(CHUNK, Math.max(1, count)));
  let done = 0;
  while (done < count) {
    const want = Math.min(buf.length, count - done);
    let got: number;
    try {
      got = src.read(buf.subarray(0, want), inOff === undefined ? undefined : inOff + done);
    } catch (e) {
      if (done > 0) break;
      throw e;
    }
    if (got === 0) break;
    let put = 0;
    while (put < got) {
      let w: number;
      try {
        w = dst.write(buf.subarray(put, got), outOff === undefined ? undefined : outOff + done + put);
      } catch (e) {
        if (done + put > 0) return { n: done + put, inOff: inOff === undefined ? undefined : inOff + done + put, outOff };
        throw e;
      }
      put += w;
      if (w === 0) break;
    }
    done += put;
    if (put < got) break;
  }
  return { n: done, inOff: inOff === undefined ? undefined : inOff + done, outOff: outOff === undefined ? undefined : outOff + done };
}

function readOffset(t: Task, addr: number): number | undefined {
  if (addr === 0) return undefined;
  const b = t.mm.copyIn(addr, 8);
  const off = Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true));
  if (off < 0) throw new SysError(Errno.EINVAL);
  return off;
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
  if (dst.statusFlags & O.APPEND) throw new SysError(Errno.EINVAL);
  const inOff = readOffset(t, offAddr);
  return blockingTransfer(t, src, dst, () => {
    const r = transfer(t, src, dst, Math.min(count, MAX_RW_COUNT), inOff);
    writeOffset(t, offAddr, r.inOff);
    return r.n;
  });
}

/**
 * Runs a file-to-file transfer that may find either end not ready: it waits
 * on the end that blocked it (an empty source, or a full destination), as a
 * blocking read or write on that end would.
 */
function blockingTransfer(t: Task, src: FileDescription, dst: FileDescription, op: () => number): number {
  try {
    return op();
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN) throw e;
  }
  const sourceEmpty = (src.readiness(POLL.IN | POLL.HUP) & (POLL.IN | POLL.HUP)) === 0;
  return sourceEmpty ? blockingOp(t, src, POLL.IN, op) : blockingOp(t, dst, POLL.OUT, op);
}

function isPipe(f: FileDescription): boolean {
  return (f.stat().mode & S.IFMT) === S.IFIFO;
}

function splice(t: Task, inFd: number, inOffAddr: number, outFd: number, outOffAddr: number, len: number): number {
  const src = t.group.fds.get(inFd);
  const dst = t.group.fds.get(outFd);
  if (!isPipe(src) && !isPipe(dst)) throw new SysError(Errno.EINVAL);
  if ((isPipe(src) && inOffAddr !== 0) || (isPipe(dst) && outOffAddr !== 0)) throw new SysError(Errno.ESPIPE);
  const inOff = readOffset(t, inOffAddr);
  const outOff = readOffset(t, outOffAddr);
  return blockingTransfer(t, src, dst, () => {
    const r = transfer(t, src, dst, Math.min(len, MAX_RW_COUNT), inOff, outOff);
    writeOffset(t, inOffAddr, r.inOff);
    writeOffset(t, outOffAddr, r.outOff);
    return r.n;
  });
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
  const r = transfer(t, src, dst, Math.min(len, MAX_RW_COUNT), inOff ?? src.offset, outOff ?? dst.offset);
  if (inOffAddr !== 0) writeOffset(t, inOffAddr, r.inOff);
  else src.offset += r.n;
  if (outOffAddr !== 0) writeOffset(t, outOffAddr, r.outOff);
  else dst.offset += r.n;
  return r.n;
}

/** Transfers between files without a user buffer: sendfile, splice, copy_file_range. */
export function registerSpliceSyscalls(table: SyscallTable): void {
  table.register({
    sendfile: { args: ['fd', 'fd', 'ptr', 'uint'], handler: (t, a) => sendfile(t, a.argInt(0), a.argInt(1), a.arg(2), a.arg(3)) },
    splice: {
      args: ['fd', 'ptr', 'fd', 'ptr', 'uint', 'hex'],
      support: 'partial',
      note: 'copies through the sentry (no page moves); SPLICE_F_NONBLOCK is not honoured',
      handler: (t, a) => splice(t, a.argInt(0), a.arg(1), a.argInt(2), a.arg(3), a.arg(4)),
    },
    copy_file_range: {
      args: ['fd', 'ptr', 'fd', 'ptr', 'uint', 'hex'],
      handler: (t, a) => copyFileRange(t, a.argInt(0), a.arg(1), a.argInt(2), a.arg(3), a.arg(4), a.argUint(5)),
    },
  });
}

import { Errno, O, RLIM_INFINITY, RLIMIT, RWF, S, Signal, SysError } from '@tvisor/abi';
import type { MemoryManager } from '@tvisor/mm';
import { PATH_MAX, type FileDescription, type StatInfo } from '@tvisor/vfs';
import type { Task } from './task.js';

/**
 * Copies between files and application memory block by block, straight
 * through the memory file's views: no intermediate buffer, no ptrace.
 * A short transfer ends the copy; an error after some bytes moved is
 * reported as the partial count, as Linux does.
 */
function transfer(task: Task, addr: number, count: number, toUser: boolean, op: (chunk: Uint8Array, done: number) => number): number {
  let done = 0;
  try {
    task.mm.forEachBlock(addr, count, toUser, (chunk) => {
      const n = op(chunk, done);
      done += n;
      return n === chunk.length;
    });
  } catch (e) {
    if (done === 0) throw e;
  }
  return done;
}

/**
 * readv/writev and their positional and asynchronous forms: each buffer in
 * turn, at `offset` onwards (undefined: the file position), until one
 * moves short. An error after some bytes moved is reported as the partial
 * count, as Linux does; before that, it is thrown.
 */
export function transferVectors(
  task: Task,
  file: FileDescription,
  vecs: ReadonlyArray<{ base: number; len: number }>,
  write: boolean,
  offset?: number,
): number {
  if (file.impl.datagram && offset === undefined) return datagramTransfer(task, file, vecs, write);
  let done = 0;
  try {
    for (const { base, len } of vecs) {
      if (len === 0) continue;
      const at = offset === undefined ? undefined : offset + done;
      const n = write ? writeFromUser(task, file, base, len, at) : readToUser(task, file, base, len, at);
      done += n;
      if (n < len) break;
    }
  } catch (e) {
    if (done === 0) throw e;
  }
  return done;
}

/**
 * The most a datagram file's message holds here (TUN/TAP: 64 KiB and a
 * header). Reads use a buffer no larger; longer writes reach the file cut
 * one byte past it, so the file refuses them without the whole copy.
 */
const DATAGRAM_MAX = 1 << 18;

/** The first `total` bytes of the caller's buffers, gathered into one (sendmsg's data, a datagram file's write). */
export function gatherIovecs(task: Task, vecs: ReadonlyArray<{ base: number; len: number }>, total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const v of vecs) {
    const take = Math.min(v.len, total - at);
    if (take <= 0) continue;
    out.set(task.mm.copyIn(v.base, take), at);
    at += take;
  }
  return out;
}

/** Copies `data` into the caller's buffers starting `offset` bytes in (recvmsg's data, a datagram file's read). */
export function scatterIovecs(task: Task, vecs: ReadonlyArray<{ base: number; len: number }>, offset: number, data: Uint8Array): void {
  let skip = offset;
  let from = 0;
  for (const v of vecs) {
    if (from >= data.length) return;
    if (skip >= v.len) {
      skip -= v.len;
      continue;
    }
    const n = Math.min(v.len - skip, data.length - from);
    task.mm.copyOut(v.base + skip, data.subarray(from, from + n));
    from += n;
    skip = 0;
  }
}

/**
 * One message to or from a datagram file (FileDescriptionImpl.datagram):
 * a write gathers every vector into one buffer first, a read fills one
 * buffer and scatters what it got. Both copy, as the message must be whole.
 */
function datagramTransfer(task: Task, file: FileDescription, vecs: ReadonlyArray<{ base: number; len: number }>, write: boolean): number {
  const total = Math.min(
    vecs.reduce((n, v) => n + v.len, 0),
    DATAGRAM_MAX + (write ? 1 : 0),
  );
  if (write) return file.write(gatherIovecs(task, vecs, total));
  const buf = new Uint8Array(total);
  const n = file.read(buf);
  scatterIovecs(task, vecs, 0, buf.subarray(0, n));
  return n;
}

/** read(2) (offset undefined) or pread(2) into app memory. */
export function readToUser(task: Task, file: FileDescription, addr: number, count: number, offset?: number): number {
  if (file.impl.datagram && offset === undefined) return datagramTransfer(task, file, [{ base: addr, len: count }], false);
  return transfer(task, addr, count, true, (chunk, done) => file.read(chunk, offset === undefined ? undefined : offset + done));
}

/**
 * write(2) (offset undefined) or pwrite(2) from app memory. Writing to a
 * pipe nobody reads raises SIGPIPE in the writer, as Linux does, and fails
 * with EPIPE.
 */
export function writeFromUser(task: Task, file: FileDescription, addr: number, count: number, offset?: number): number {
  try {
    if (file.impl.datagram && offset === undefined) return datagramTransfer(task, file, [{ base: addr, len: count }], true);
    count = withinFileSizeLimit(task, file, count, offset);
    return transfer(task, addr, count, false, (chunk, done) => file.write(chunk, offset === undefined ? undefined : offset + done));
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.EPIPE) task.kernel.raiseSignal(task, Signal.SIGPIPE);
    throw e;
  }
}

/**
 * RLIMIT_FSIZE for a write of `count` bytes to a regular file at `offset`
 * (undefined: the description's position, or the end with O_APPEND): the
 * count shortened to end at the limit; at or past it, SIGXFSZ and EFBIG,
 * as Linux's generic_write_check_limits.
 */
export function withinFileSizeLimit(task: Task, file: FileDescription, count: number, offset?: number): number {
  const limit = task.group.rlimits[RLIMIT.FSIZE][0];
  if (limit === RLIM_INFINITY || count === 0) return count;
  const st = file.stat();
  if ((st.mode & S.IFMT) !== S.IFREG) return count;
  const pos = offset ?? (file.statusFlags & O.APPEND ? st.size : file.offset);
  if (BigInt(pos) >= limit) fileTooLarge(task);
  return Math.min(count, Number(limit - BigInt(pos)));
}

/**
 * RLIMIT_FSIZE for truncate/ftruncate/fallocate growing a regular file to `newSize` (Linux's
 * inode_newsize_ok): past the limit, SIGXFSZ and EFBIG. Shrinking is always allowed, and other
 * file types are not limited. `stat` is called only when a limit is set.
 */
export function checkFileGrowth(task: Task, stat: () => StatInfo, newSize: number): void {
  const limit = task.group.rlimits[RLIMIT.FSIZE][0];
  if (limit === RLIM_INFINITY || BigInt(newSize) <= limit) return;
  const st = stat();
  if ((st.mode & S.IFMT) === S.IFREG && newSize > st.size) fileTooLarge(task);
}

function fileTooLarge(task: Task): never {
  task.kernel.raiseSignal(task, Signal.SIGXFSZ);
  throw new SysError(Errno.EFBIG);
}

/**
 * The RWF_* flags preadv2/pwritev2 and io_submit accept (Linux's RWF_SUPPORTED, with RWF_ATOMIC,
 * 0x40, which Debian's headers do not name yet); other bits are EOPNOTSUPP. The flags themselves
 * ask for nothing tVisor's files do differently.
 */
export const RWF_SUPPORTED = RWF.HIPRI | RWF.DSYNC | RWF.SYNC | RWF.NOWAIT | RWF.APPEND | RWF.NOAPPEND | 0x40;

/** A path argument: a NUL-terminated string of at most PATH_MAX bytes (ENAMETOOLONG beyond, EFAULT for NULL). */
export function readPath(task: Task, addr: number): string {
  if (addr === 0) throw new SysError(Errno.EFAULT);
  return task.mm.readCString(addr, PATH_MAX);
}

/** Stores a u32 (a tid, a flag, an id) in the application memory `mm` (not always the caller's: clone writes the child's). */
export function copyOutU32(mm: MemoryManager, addr: number, value: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  mm.copyOut(addr, b);
}

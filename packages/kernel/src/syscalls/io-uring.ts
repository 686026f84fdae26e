import { Errno, IORING_ENTER, IORING_OP, IORING_SETUP, IoUringParams, SysError, type IoUringSqe } from '@tvisor/abi';
import { userBuffer } from '@tvisor/mm';
import type { FileDescription } from '@tvisor/vfs';
import { createIoUringFile, IoUringImpl } from '../events/io-uring.js';
import type { Task } from '../task.js';
import { transferVectors } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

/** IORING_MAX_ENTRIES: the largest submission ring io_uring_setup builds. */
const MAX_ENTRIES = 32768;
const MAX_CQ_ENTRIES = 2 * MAX_ENTRIES;

function roundUpPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

function ioUringSetup(t: Task, entries: number, paramsAddr: number): number {
  const raw = t.mm.copyIn(paramsAddr, IoUringParams.size);
  const view = new DataView(raw.buffer, raw.byteOffset, IoUringParams.size);
  const params = IoUringParams.decode(view, 0);
  if (params.resv.some((b) => b !== 0)) throw new SysError(Errno.EINVAL);
  // SQPOLL, IOPOLL and the rest need kernel threads and devices the sentry does not model.
  if (params.flags & ~(IORING_SETUP.CQSIZE | IORING_SETUP.CLAMP)) throw new SysError(Errno.EINVAL);
  const clamp = (params.flags & IORING_SETUP.CLAMP) !== 0;
  if (entries === 0 || (entries > MAX_ENTRIES && !clamp)) throw new SysError(Errno.EINVAL);
  const sqEntries = roundUpPow2(Math.min(entries, MAX_ENTRIES));
  let cqEntries = 2 * sqEntries;
  if (params.flags & IORING_SETUP.CQSIZE) {
    if (params.cq_entries === 0 || (params.cq_entries > MAX_CQ_ENTRIES && !clamp)) throw new SysError(Errno.EINVAL);
    cqEntries = roundUpPow2(Math.min(params.cq_entries, MAX_CQ_ENTRIES));
    if (cqEntries < sqEntries) throw new SysError(Errno.EINVAL);
  }
  const impl = new IoUringImpl(t.kernel.memoryFile, sqEntries, cqEntries);
  const file = createIoUringFile(impl);
  const fd = t.group.fds.add(file, true);
  IoUringParams.encode(view, 0, {
    ...params,
    sq_entries: sqEntries,
    cq_entries: cqEntries,
    features: IoUringImpl.features,
    sq_off: impl.sqOffsets,
    cq_off: impl.cqOffsets,
  });
  try {
    t.mm.copyOut(paramsAddr, raw);
  } catch (e) {
    t.group.fds.close(fd);
    throw e;
  }
  return fd;
}

/** Reads and writes: the buffers of one submission, checked as Linux imports them. */
function sqeBuffers(t: Task, sqe: IoUringSqe, vectored: boolean): { base: number; len: number }[] {
  if (!vectored) return [userBuffer(sqe.addr, BigInt(sqe.len))];
  return t.mm.readIovecs(Number(sqe.addr), sqe.len);
}

function readWrite(t: Task, sqe: IoUringSqe, write: boolean, vectored: boolean): number {
  // Fields these opcodes do not take must be zero (fixed buffers and personalities are not supported).
  if (sqe.ioprio !== 0 || sqe.buf_index !== 0 || sqe.personality !== 0 || sqe.splice_fd_in !== 0 || sqe.rw_flags !== 0) throw new SysError(Errno.EINVAL);
  const file: FileDescription = t.group.fds.get(sqe.fd);
  if (write ? !file.writable : !file.readable) throw new SysError(Errno.EBADF);
  const vecs = sqeBuffers(t, sqe, vectored);
  // An offset of -1 means the file position (IORING_FEAT_RW_CUR_POS); streams have no other.
  const offset = sqe.off === 0xffff_ffff_ffff_ffffn || file.impl.stream ? undefined : sqe.off >= 1n << 63n ? -1 : Number(sqe.off);
  if (offset !== undefined && offset < 0) throw new SysError(Errno.EINVAL);
  return transferVectors(t, file, vecs, write, offset);
}

/** Serves one submission entry; errors become the completion's negative result. */
function serveSqe(t: Task, sqe: IoUringSqe): number {
  try {
    switch (sqe.opcode) {
      case IORING_OP.NOP:
        return 0;
      case IORING_OP.READV:
        return readWrite(t, sqe, false, true);
      case IORING_OP.WRITEV:
        return readWrite(t, sqe, true, true);
      case IORING_OP.READ:
        return readWrite(t, sqe, false, false);
      case IORING_OP.WRITE:
        return readWrite(t, sqe, true, false);
      case IORING_OP.FSYNC:
        t.group.fds.get(sqe.fd).sync();
        return 0;
      default:
        return -Errno.EINVAL;
    }
  } catch (e) {
    if (e instanceof SysError) return -e.errno;
    throw e;
  }
}

function ioUringEnter(t: Task, fd: number, toSubmit: number, minComplete: number, flags: number, sig: number): number {
  const impl = t.group.fds.get(fd).impl;
  if (!(impl instanceof IoUringImpl)) throw new SysError(Errno.EOPNOTSUPP);
  if (flags & ~IORING_ENTER.GETEVENTS) throw new SysError(Errno.EINVAL);
  // A temporary signal mask is not supported: refused as gVisor refuses it.
  if (sig !== 0) throw new SysError(Errno.EFAULT);
  const submitted = impl.submit(toSubmit, (sqe) => serveSqe(t, sqe));
  if (!(flags & IORING_ENTER.GETEVENTS) || impl.completionsReady() >= Math.min(minComplete, impl.cqEntries)) return submitted;
  return t.kernel.block(
    t,
    (complete) => {
      const unsubscribe = impl.onCompletions(() => {
        if (impl.completionsReady() < Math.min(minComplete, impl.cqEntries)) return;
        unsubscribe();
        complete(submitted);
      });
      return unsubscribe;
    },
    submitted > 0 ? submitted : -Errno.EINTR,
  );
}

/** io_uring_setup and io_uring_enter (io_uring(7)); the rings are mapped with mmap(2) of the fd. */
export function registerIoUringSyscalls(table: SyscallTable): void {
  const note =
    'opcodes NOP, READV, WRITEV, READ, WRITE, FSYNC (others complete with -EINVAL); no SQPOLL/IOPOLL; io_uring_enter with a signal mask is EFAULT, as on gVisor';
  table.register({
    io_uring_setup: { args: ['uint', 'ptr'], support: 'partial', note, handler: (t, a) => ioUringSetup(t, a.argUint(0), a.arg(1)) },
    io_uring_enter: {
      args: ['fd', 'uint', 'uint', 'hex', 'ptr', 'uint'],
      support: 'partial',
      note,
      handler: (t, a) => ioUringEnter(t, a.argInt(0), a.argUint(1), a.argUint(2), a.argUint(3), a.arg(4)),
    },
  });
}

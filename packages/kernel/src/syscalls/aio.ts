import { CLOCK, decodeStruct, Errno, Iocb, IOCB_CMD, IOCB_FLAG, IoEvent, SysError } from '@tvisor/abi';
import { userBuffer } from '@tvisor/mm';
import type { FileDescription } from '@tvisor/vfs';
import { cpus } from 'node:os';
import { createAioContext, IO_EVENT_SIZE, lookupAioContext, type AioContext } from '../aio-context.js';
import { clockNow, decodeTimespec } from '../clock.js';
import { EventFdImpl } from '../events/eventfd.js';
import type { Task } from '../task.js';
import { RWF_SUPPORTED, transferVectors } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

/** /proc/sys/fs/aio-max-nr's default: io_setup refuses a context asking for more (EAGAIN). */
const AIO_MAX_NR = 65536;
/** The largest ring Linux builds (0x10000000 bytes of io_events). */
const AIO_MAX_RING_EVENTS = 0x10000000 / IO_EVENT_SIZE;

function lookup(t: Task, id: number): AioContext {
  const context = lookupAioContext(t.mm, id);
  if (context === undefined) throw new SysError(Errno.EINVAL);
  return context;
}

function ioSetup(t: Task, nrEvents: number, ctxp: number): number {
  const current = t.mm.copyIn(ctxp, 8);
  if (new DataView(current.buffer, current.byteOffset, 8).getBigUint64(0, true) !== 0n || nrEvents === 0) throw new SysError(Errno.EINVAL);
  // os.cpus() reads /proc/cpuinfo: once per call.
  const cpuCount = cpus().length;
  if (Math.max(nrEvents, cpuCount * 4) * 2 > AIO_MAX_RING_EVENTS) throw new SysError(Errno.EINVAL);
  if (nrEvents > AIO_MAX_NR) throw new SysError(Errno.EAGAIN);
  const id = createAioContext(t.mm, t.kernel.memoryFile, nrEvents, cpuCount);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(id), true);
  try {
    t.mm.copyOut(ctxp, out);
  } catch (e) {
    destroy(t, lookup(t, id), id);
    throw e;
  }
  return 0;
}

function destroy(t: Task, context: AioContext, id: number): void {
  context.destroy();
  t.mm.munmap(id, context.ringLength);
}

/** The buffers of a read or write request, validated as io_submit validates them before any I/O. */
function requestBuffers(t: Task, cb: Iocb, vectored: boolean): { base: number; len: number }[] {
  if (!vectored) return [userBuffer(cb.aio_buf, cb.aio_nbytes)];
  // Huge counts stay huge as numbers, so readIovecs refuses them (EINVAL) before reading.
  return t.mm.readIovecs(Number(cb.aio_buf), Number(cb.aio_nbytes));
}

/** Serves one read or write request; the result (bytes or -errno) becomes the event's res. */
function transfer(t: Task, file: FileDescription, vecs: { base: number; len: number }[], offset: number | undefined, write: boolean): number {
  try {
    return transferVectors(t, file, vecs, write, offset);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    return -e.errno;
  }
}

/** io_submit_one: validates one request, serves it and queues its event. Errors before the I/O fail the submission. */
function submitOne(t: Task, context: AioContext, iocbAddr: number): void {
  const cb = decodeStruct(Iocb, t.mm.copyIn(iocbAddr, Iocb.size));
  if (cb.aio_reserved2 !== 0n) throw new SysError(Errno.EINVAL);
  if (cb.aio_nbytes >= 1n << 63n) throw new SysError(Errno.EINVAL);
  if (context.pending >= context.capacity) throw new SysError(Errno.EAGAIN);
  const file = t.group.fds.get(cb.aio_fildes | 0);
  let eventFd: EventFdImpl | undefined;
  if (cb.aio_flags & IOCB_FLAG.RESFD) {
    const impl = t.group.fds.get(cb.aio_resfd | 0).impl;
    if (!(impl instanceof EventFdImpl)) throw new SysError(Errno.EINVAL);
    eventFd = impl;
  }
  // Linux stamps aio_key (KIOCB_KEY, 0) back into the caller's iocb.
  t.mm.copyOut(iocbAddr + 8, new Uint8Array(4));

  let res: number;
  switch (cb.aio_lio_opcode) {
    case IOCB_CMD.PREAD:
    case IOCB_CMD.PWRITE:
    case IOCB_CMD.PREADV:
    case IOCB_CMD.PWRITEV: {
      const write = cb.aio_lio_opcode === IOCB_CMD.PWRITE || cb.aio_lio_opcode === IOCB_CMD.PWRITEV;
      if (cb.aio_rw_flags & ~RWF_SUPPORTED) throw new SysError(Errno.EOPNOTSUPP);
      if (write ? !file.writable : !file.readable) throw new SysError(Errno.EBADF);
      const vecs = requestBuffers(t, cb, cb.aio_lio_opcode === IOCB_CMD.PREADV || cb.aio_lio_opcode === IOCB_CMD.PWRITEV);
      // rw_verify_area: a negative position is invalid. Streams (pipes, sockets) ignore the position.
      if (cb.aio_offset < 0n) throw new SysError(Errno.EINVAL);
      const offset = file.impl.stream ? undefined : Number(cb.aio_offset);
      res = transfer(t, file, vecs, offset, write);
      break;
    }
    case IOCB_CMD.FSYNC:
    case IOCB_CMD.FDSYNC:
      if (cb.aio_buf || cb.aio_nbytes || cb.aio_offset || cb.aio_rw_flags) throw new SysError(Errno.EINVAL);
      try {
        file.sync();
        res = 0;
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        res = -e.errno;
      }
      break;
    default:
      throw new SysError(Errno.EINVAL);
  }
  context.complete({ data: cb.aio_data, obj: BigInt(iocbAddr), res: BigInt(res) });
  eventFd?.signal(1n);
}

function ioSubmit(t: Task, id: number, nr: number, iocbpp: number): number {
  if (nr < 0) throw new SysError(Errno.EINVAL);
  const context = lookup(t, id);
  const count = Math.min(nr, context.capacity + 1);
  let submitted = 0;
  for (; submitted < count; submitted++) {
    try {
      const ptr = t.mm.copyIn(iocbpp + submitted * 8, 8);
      submitOne(t, context, Number(new DataView(ptr.buffer, ptr.byteOffset, 8).getBigUint64(0, true)));
    } catch (e) {
      if (submitted === 0 || !(e instanceof SysError)) throw e;
      break;
    }
  }
  return submitted;
}

function copyOutEvents(t: Task, addr: number, events: { data: bigint; obj: bigint; res: bigint }[]): number {
  const out = new Uint8Array(events.length * IoEvent.size);
  const view = new DataView(out.buffer);
  events.forEach((e, i) => IoEvent.encode(view, i * IoEvent.size, { ...e, res2: 0n }));
  t.mm.copyOut(addr, out);
  return events.length;
}

function ioGetevents(t: Task, id: number, minNr: number, nr: number, eventsAddr: number, timeoutAddr: number): number {
  let deadline: bigint | undefined;
  if (timeoutAddr !== 0) deadline = clockNow(CLOCK.MONOTONIC) + decodeTimespec(t.mm.copyIn(timeoutAddr, 16));
  const context = lookup(t, id);
  if (minNr < 0 || nr < 0 || minNr > nr) throw new SysError(Errno.EINVAL);
  const ready = () => context.pending >= minNr || !context.alive;
  if (ready() || (deadline !== undefined && deadline <= clockNow(CLOCK.MONOTONIC))) return copyOutEvents(t, eventsAddr, context.take(nr));
  return t.kernel.block(
    t,
    (complete) => {
      const finish = () => {
        unsubscribe();
        cancelTimer?.();
        try {
          complete(copyOutEvents(t, eventsAddr, context.take(nr)));
        } catch (e) {
          complete(e instanceof SysError ? -e.errno : -Errno.EFAULT);
        }
      };
      const unsubscribe = context.subscribe(() => {
        if (ready()) finish();
      });
      const cancelTimer = deadline === undefined ? undefined : t.kernel.setDeadline(CLOCK.MONOTONIC, deadline, finish);
      return () => {
        unsubscribe();
        cancelTimer?.();
      };
    },
    -Errno.EINTR,
  );
}

/** io_cancel: requests finish as they are submitted, so none is ever in flight to cancel. */
function ioCancel(t: Task, id: number, iocbAddr: number): number {
  lookup(t, id);
  t.mm.copyIn(iocbAddr, Iocb.size);
  throw new SysError(Errno.EINVAL);
}

/** Linux AIO: io_setup, io_submit, io_getevents, io_cancel, io_destroy (io_setup(2) and the rest). */
export function registerAioSyscalls(table: SyscallTable): void {
  const note = 'requests complete during io_submit; completions stay in the kernel (the ring page reads as zeros, as on gVisor); IOCB_CMD_POLL is EINVAL';
  table.register({
    io_setup: { args: ['uint', 'ptr'], support: 'partial', note, handler: (t, a) => ioSetup(t, a.argUint(0), a.arg(1)) },
    io_destroy: {
      args: ['hex'],
      handler: (t, a) => {
        destroy(t, lookup(t, a.arg(0)), a.arg(0));
        return 0;
      },
    },
    io_submit: { args: ['hex', 'int', 'ptr'], support: 'partial', note, handler: (t, a) => ioSubmit(t, a.arg(0), a.argSigned(1), a.arg(2)) },
    io_getevents: {
      args: ['hex', 'int', 'int', 'ptr', 'ptr'],
      handler: (t, a) => ioGetevents(t, a.arg(0), a.argSigned(1), a.argSigned(2), a.arg(3), a.arg(4)),
    },
    io_cancel: { args: ['hex', 'ptr', 'ptr'], handler: (t, a) => ioCancel(t, a.arg(0), a.arg(1)) },
  });
}

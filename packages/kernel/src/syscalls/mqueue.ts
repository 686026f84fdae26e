import { CAP, CLOCK, decodeStruct, encodeStruct, Errno, MqAttr, O, POLL, SI, SIGEV, Sigevent, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import { clockNow, decodeTimespec } from '../clock.js';
import { vfsCredentials } from '../fs-context.js';
import { MQ_DEFAULT_ATTR, MqueueFile, mqueueFilesystem } from '../fs/mqueue/mqueue-fs.js';
import { MQ_PRIO_MAX, type PosixQueue } from '../ipc/posix-queue.js';
import { sendSignal } from '../signal-delivery.js';
import { sigInfoQueue } from '../signals/siginfo.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { readPath } from '../user-io.js';
import { hasCapability } from '../credentials.js';

/** HARD_MSGMAX and HARD_MSGSIZEMAX: no queue may be larger, even for root. */
const HARD_MSG_MAX = 65536;
const HARD_MSGSIZE_MAX = 16 * 1024 * 1024;
/** /proc/sys/fs/mqueue/msg_max and msgsize_max: the limits for callers without CAP_SYS_RESOURCE. */
const MSG_MAX = 10;
const MSGSIZE_MAX = 8192;

/** The queue name mq_open/mq_unlink get (glibc strips the leading '/'): one path component. */
function queueName(t: Task, addr: number): string {
  const name = readPath(t, addr);
  if (name.length > 255) throw new SysError(Errno.ENAMETOOLONG);
  if (name === '') throw new SysError(Errno.ENOENT);
  // Linux looks the name up as one component: a '/' or a dot entry is EACCES.
  if (name.includes('/') || name === '.' || name === '..') throw new SysError(Errno.EACCES);
  return name;
}

function mqOpen(t: Task, nameAddr: number, flags: number, mode: number, attrAddr: number): number {
  const name = queueName(t, nameAddr);
  if ((flags & O.ACCMODE) === O.ACCMODE) throw new SysError(Errno.EINVAL);
  const { fs, vfs } = mqueueFilesystem(t.kernel);
  if (flags & O.CREAT) {
    let attr = MQ_DEFAULT_ATTR;
    if (attrAddr !== 0) {
      const a = decodeStruct(MqAttr, t.mm.copyIn(attrAddr, MqAttr.size));
      if (a.mq_maxmsg <= 0 || a.mq_msgsize <= 0 || a.mq_maxmsg > HARD_MSG_MAX || a.mq_msgsize > HARD_MSGSIZE_MAX) throw new SysError(Errno.EINVAL);
      // Past msg_max / msgsize_max only with CAP_SYS_RESOURCE.
      if (!hasCapability(t.creds, CAP.SYS_RESOURCE) && (a.mq_maxmsg > MSG_MAX || a.mq_msgsize > MSGSIZE_MAX)) throw new SysError(Errno.EINVAL);
      attr = { maxmsg: a.mq_maxmsg, msgsize: a.mq_msgsize };
    }
    fs.nextAttr(attr);
  }
  const ctx = vfs.context(vfsCredentials(t.creds), undefined, t.group.fs.umask);
  const openFlags = flags & (O.ACCMODE | O.CREAT | O.EXCL | O.NONBLOCK);
  let file: FileDescription;
  try {
    file = vfs.openAt(ctx, `/${name}`, { flags: openFlags, mode: mode & 0o777 });
  } finally {
    fs.nextAttr(MQ_DEFAULT_ATTR);
  }
  // Queue descriptors are always close-on-exec.
  return t.group.fds.add(file, true);
}

function queueOf(t: Task, fd: number): { file: FileDescription; queue: PosixQueue } {
  const file = t.group.fds.get(fd);
  if (!(file.impl instanceof MqueueFile)) throw new SysError(Errno.EBADF);
  return { file, queue: file.impl.queue };
}

/** An absolute CLOCK_REALTIME timeout (ns), validated as Linux does before anything else. */
function absTimeout(t: Task, addr: number): bigint | undefined {
  if (addr === 0) return undefined;
  const raw = t.mm.copyIn(addr, 16);
  const v = new DataView(raw.buffer, raw.byteOffset, 16);
  const nsec = v.getBigInt64(8, true);
  if (v.getBigInt64(0, true) < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new SysError(Errno.EINVAL);
  return decodeTimespec(raw);
}

/**
 * Runs `op` now or, on EAGAIN without O_NONBLOCK, each time the queue
 * reports `events`, until it goes or `deadline` passes (ETIMEDOUT). A
 * signal ends the wait with -ERESTARTSYS, as Linux's wq_sleep.
 */
function queueOp(
  t: Task,
  file: FileDescription,
  queue: PosixQueue,
  events: number,
  deadline: bigint | undefined,
  op: () => number,
  receiving: boolean,
): number {
  try {
    return op();
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN || file.statusFlags & O.NONBLOCK) throw e;
  }
  if (deadline !== undefined && clockNow(CLOCK.REALTIME) >= deadline) throw new SysError(Errno.ETIMEDOUT);
  return t.kernel.block(t, (complete) => {
    if (receiving) queue.receiversWaiting++;
    let done = false;
    const finish = (r: number) => {
      if (done) return;
      done = true;
      cleanup();
      complete(r);
    };
    const unsubscribe = queue.subscribe(events, () => {
      if (done) return;
      try {
        finish(op());
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.EAGAIN) return;
        finish(e instanceof SysError ? -e.errno : -Errno.EIO);
      }
    });
    const cancelTimer = deadline === undefined ? undefined : t.kernel.setDeadline(CLOCK.REALTIME, deadline, () => finish(-Errno.ETIMEDOUT));
    function cleanup() {
      unsubscribe();
      cancelTimer?.();
      if (receiving) queue.receiversWaiting--;
    }
    return () => {
      done = true;
      cleanup();
    };
  });
}

function mqTimedsend(t: Task, fd: number, addr: number, len: number, prio: number, timeoutAddr: number): number {
  const deadline = absTimeout(t, timeoutAddr);
  if (prio >= MQ_PRIO_MAX) throw new SysError(Errno.EINVAL);
  const { file, queue } = queueOf(t, fd);
  if (!file.writable) throw new SysError(Errno.EBADF);
  if (len > queue.msgsize) throw new SysError(Errno.EMSGSIZE);
  const data = t.mm.copyIn(addr, len).slice();
  return queueOp(t, file, queue, POLL.OUT, deadline, () => (queue.send(data, prio), 0), false);
}

function mqTimedreceive(t: Task, fd: number, addr: number, len: number, prioAddr: number, timeoutAddr: number): number {
  const deadline = absTimeout(t, timeoutAddr);
  const { file, queue } = queueOf(t, fd);
  if (!file.readable) throw new SysError(Errno.EBADF);
  if (len < queue.msgsize) throw new SysError(Errno.EMSGSIZE);
  const op = () => {
    const m = queue.receive(len);
    t.mm.copyOut(addr, m.data);
    if (prioAddr !== 0) {
      const p = new Uint8Array(4);
      new DataView(p.buffer).setUint32(0, m.prio, true);
      t.mm.copyOut(prioAddr, p);
    }
    return m.data.length;
  };
  return queueOp(t, file, queue, POLL.IN, deadline, op, true);
}

function mqNotify(t: Task, fd: number, sevAddr: number): number {
  const { queue } = queueOf(t, fd);
  const pid = t.group.pid;
  if (sevAddr === 0) {
    // Only the registered process removes its registration.
    if (queue.notification?.pid === pid) queue.notification = undefined;
    return 0;
  }
  const ev = decodeStruct(Sigevent, t.mm.copyIn(sevAddr, Sigevent.size));
  if (ev.sigev_notify !== SIGEV.SIGNAL && ev.sigev_notify !== SIGEV.NONE) throw new SysError(Errno.EINVAL);
  if (ev.sigev_notify === SIGEV.SIGNAL && (ev.sigev_signo < 1 || ev.sigev_signo > 64)) throw new SysError(Errno.EINVAL);
  if (queue.notification) throw new SysError(Errno.EBUSY);
  const group = t.group;
  const kernel = t.kernel;
  queue.notification = {
    pid,
    notify: ev.sigev_notify,
    signo: ev.sigev_signo,
    fire: () => {
      if (ev.sigev_notify !== SIGEV.SIGNAL || group.exitStatus !== undefined) return;
      // si_pid/si_uid name the sender: the process whose mq_send filled the empty queue.
      const sender = kernel.current?.group ?? group;
      sendSignal(kernel, group, ev.sigev_signo, sigInfoQueue(ev.sigev_signo, { pid: sender.pid, uid: sender.creds.uid }, ev.sigev_value, SI.MESGQ));
    },
  };
  return 0;
}

function mqGetsetattr(t: Task, fd: number, newAddr: number, oldAddr: number): number {
  const { file, queue } = queueOf(t, fd);
  let next: MqAttr | undefined;
  if (newAddr !== 0) {
    next = decodeStruct(MqAttr, t.mm.copyIn(newAddr, MqAttr.size));
    if (next.mq_flags & ~O.NONBLOCK) throw new SysError(Errno.EINVAL);
  }
  if (oldAddr !== 0) {
    t.mm.copyOut(
      oldAddr,
      encodeStruct(MqAttr, {
        mq_flags: file.statusFlags & O.NONBLOCK,
        mq_maxmsg: queue.maxmsg,
        mq_msgsize: queue.msgsize,
        mq_curmsgs: queue.count,
      }),
    );
  }
  // Only O_NONBLOCK of the description changes.
  if (next) file.setStatusFlags((file.statusFlags & ~O.NONBLOCK) | (next.mq_flags & O.NONBLOCK));
  return 0;
}

/** POSIX message queues (mq_overview(7)) on the mqueue filesystem. */
export function registerMqueueSyscalls(table: SyscallTable): void {
  table.register({
    mq_open: {
      args: ['str', 'hex', 'oct', 'ptr'],
      handler: (t, a) => mqOpen(t, a.arg(0), a.argInt(1), a.argUint(2), a.arg(3)),
    },
    mq_unlink: {
      args: ['str'],
      handler: (t, a) => {
        const name = queueName(t, a.arg(0));
        const { vfs } = mqueueFilesystem(t.kernel);
        vfs.unlinkAt(vfs.context(vfsCredentials(t.creds)), `/${name}`);
        return 0;
      },
    },
    mq_timedsend: {
      args: ['fd', 'ptr', 'uint', 'uint', 'ptr'],
      handler: (t, a) => mqTimedsend(t, a.argInt(0), a.arg(1), a.arg(2), a.argUint(3), a.arg(4)),
    },
    mq_timedreceive: {
      args: ['fd', 'ptr', 'uint', 'ptr', 'ptr'],
      handler: (t, a) => mqTimedreceive(t, a.argInt(0), a.arg(1), a.arg(2), a.arg(3), a.arg(4)),
    },
    mq_notify: {
      args: ['fd', 'ptr'],
      support: 'partial',
      note: 'SIGEV_SIGNAL and SIGEV_NONE; SIGEV_THREAD (a netlink socket underneath) is EINVAL',
      handler: (t, a) => mqNotify(t, a.argInt(0), a.arg(1)),
    },
    mq_getsetattr: {
      args: ['fd', 'ptr', 'ptr'],
      handler: (t, a) => mqGetsetattr(t, a.argInt(0), a.arg(1), a.arg(2)),
    },
  });
}

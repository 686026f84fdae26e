import { CAP, decodeStruct, encodeStruct, Errno, IPC, MSGF, MsgInfo, MsqidDs, SysError } from '@tvisor/abi';
import { msgSearch, MsgQueue, type Message } from '../ipc/msg-queue.js';
import { IPC_DEFAULTS } from '../ipc/namespace.js';
import { ipcNamespaceOf } from '../namespaces.js';
import { ipcNow } from '../ipc/registry.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { hasCapability } from '../credentials.js';

/** MSGSSZ, the segment size Linux reports in struct msginfo. */
const MSG_SEGMENT_SIZE = 16;

/**
 * Parks `t` until `op` stops saying EAGAIN: it is tried again whenever the
 * queue changes. A signal ends the wait with -ERESTARTNOHAND (EINTR for a
 * handler), as msgsnd/msgrcv do on Linux.
 */
function waitOnQueue(t: Task, queue: MsgQueue, op: () => number): number {
  return t.kernel.block(
    t,
    (complete) => {
      // A successful attempt changes the queue, which calls the waiters
      // again: this one must not run inside itself.
      let running = false;
      const unsubscribe = queue.onChange(() => {
        if (running) return;
        running = true;
        let r: number;
        try {
          r = op();
        } catch (e) {
          running = false;
          if (e instanceof SysError && e.errno === Errno.EAGAIN) return;
          r = e instanceof SysError ? -e.errno : -Errno.EIO;
        }
        unsubscribe();
        complete(r);
      });
      return unsubscribe;
    },
    -Errno.ERESTARTNOHAND,
  );
}

function msgget(t: Task, key: number, flags: number): number {
  const ns = ipcNamespaceOf(t);
  return ns.msg.get(
    key,
    flags,
    t.creds,
    () => new MsgQueue(key, t.creds, flags, ns.msgmnb),
    () => {},
  );
}

function msgsnd(t: Task, id: number, addr: number, size: number, flags: number): number {
  const ns = ipcNamespaceOf(t);
  if (size < 0 || size > ns.msgmax || id < 0) throw new SysError(Errno.EINVAL);
  const raw = t.mm.copyIn(addr, 8);
  const type = Number(new DataView(raw.buffer, raw.byteOffset, 8).getBigInt64(0, true));
  if (type < 1) throw new SysError(Errno.EINVAL);
  const text = t.mm.copyIn(addr + 8, size).slice();
  const queue = ns.msg.lookup(id);
  const msg: Message = { type, text };
  const op = () => {
    queue.checkAccess(t.creds, 2);
    queue.send(msg, t.group.pid);
    return 0;
  };
  try {
    return op();
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN || flags & IPC.NOWAIT) throw e;
  }
  return waitOnQueue(t, queue, op);
}

function msgrcv(t: Task, id: number, addr: number, bufsz: number, msgtyp: number, flags: number): number {
  const ns = ipcNamespaceOf(t);
  if (bufsz < 0 || id < 0) throw new SysError(Errno.EINVAL);
  if (flags & MSGF.COPY && (flags & MSGF.EXCEPT || !(flags & IPC.NOWAIT))) throw new SysError(Errno.EINVAL);
  const queue = ns.msg.lookup(id);
  const search = msgSearch(msgtyp, flags);
  const limit = flags & MSGF.COPY ? Math.min(bufsz, ns.msgmax) : bufsz;
  const op = () => {
    queue.checkAccess(t.creds, 4);
    const msg = queue.receive(search, limit, flags, t.group.pid);
    const out = new Uint8Array(8 + msg.text.length);
    new DataView(out.buffer).setBigInt64(0, BigInt(msg.type), true);
    out.set(msg.text, 8);
    t.mm.copyOut(addr, out);
    return msg.text.length;
  };
  try {
    return op();
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN) throw e;
    if (flags & IPC.NOWAIT) throw new SysError(Errno.ENOMSG);
  }
  return waitOnQueue(t, queue, op);
}

function msgInfo(t: Task, addr: number, usage: boolean): number {
  const ns = ipcNamespaceOf(t);
  const queues = ns.msg.all();
  const pool = (IPC_DEFAULTS.msgmni * IPC_DEFAULTS.msgmnb) / 1024;
  const info: MsgInfo = {
    // MSG_INFO reports use: queues, messages and bytes; IPC_INFO the limits.
    msgpool: usage ? queues.length : pool,
    msgmap: usage ? queues.reduce((n, q) => n + q.messages.length, 0) : IPC_DEFAULTS.msgmnb,
    msgtql: usage ? queues.reduce((n, q) => n + q.bytes, 0) : IPC_DEFAULTS.msgmnb,
    msgmax: ns.msgmax,
    msgmnb: ns.msgmnb,
    msgmni: ns.msg.limit,
    msgssz: MSG_SEGMENT_SIZE,
    msgseg: Math.min((pool * 1024) / MSG_SEGMENT_SIZE, 0xffff),
  };
  t.mm.copyOut(addr, encodeStruct(MsgInfo, info));
  return ns.msg.highestSlot();
}

function msgStat(t: Task, queue: MsgQueue, addr: number, checkRead: boolean): void {
  if (checkRead) queue.checkAccess(t.creds, 4);
  t.mm.copyOut(
    addr,
    encodeStruct(MsqidDs, {
      perm: queue.perm(),
      stime: queue.stime,
      rtime: queue.rtime,
      ctime: queue.ctime,
      cbytes: queue.bytes,
      qnum: queue.messages.length,
      qbytes: queue.qbytes,
      lspid: queue.lspid,
      lrpid: queue.lrpid,
    }),
  );
}

function msgctl(t: Task, id: number, cmd: number, addr: number): number {
  const ns = ipcNamespaceOf(t);
  if (id < 0 || cmd < 0) throw new SysError(Errno.EINVAL);
  const creds = t.creds;
  switch (cmd) {
    case IPC.INFO:
    case MSGF.INFO:
      return msgInfo(t, addr, cmd === MSGF.INFO);
    case MSGF.STAT:
    case MSGF.STAT_ANY: {
      const queue = ns.msg.atSlot(id);
      msgStat(t, queue, addr, cmd === MSGF.STAT);
      return queue.id;
    }
    case IPC.STAT:
      msgStat(t, ns.msg.lookup(id), addr, true);
      return 0;
    case IPC.SET: {
      const ds = decodeStruct(MsqidDs, t.mm.copyIn(addr, MsqidDs.size));
      const queue = ns.msg.lookup(id);
      queue.checkOwner(creds);
      // Raising msg_qbytes past msgmnb takes CAP_SYS_RESOURCE.
      if (ds.qbytes > ns.msgmnb && !hasCapability(creds, CAP.SYS_RESOURCE)) throw new SysError(Errno.EPERM);
      queue.qbytes = ds.qbytes;
      queue.setPerm(ds.perm);
      queue.ctime = ipcNow();
      queue.changed();
      return 0;
    }
    case IPC.RMID: {
      const queue = ns.msg.lookup(id);
      queue.checkOwner(creds);
      ns.msg.remove(queue);
      queue.changed();
      return 0;
    }
    default:
      throw new SysError(Errno.EINVAL);
  }
}

/** System V message queues (msgget(2), msgop(2), msgctl(2)). */
export function registerSysvMsgSyscalls(table: SyscallTable): void {
  table.register({
    msgget: { args: ['hex', 'oct'], handler: (t, a) => msgget(t, a.argInt(0), a.argInt(1)) },
    msgsnd: { args: ['int', 'ptr', 'int', 'hex'], handler: (t, a) => msgsnd(t, a.argInt(0), a.arg(1), a.argSigned(2), a.argInt(3)) },
    msgrcv: {
      args: ['int', 'ptr', 'int', 'int', 'hex'],
      handler: (t, a) => msgrcv(t, a.argInt(0), a.arg(1), a.argSigned(2), a.argSigned(3), a.argInt(4)),
    },
    msgctl: { args: ['int', 'int', 'ptr'], handler: (t, a) => msgctl(t, a.argInt(0), a.argInt(1), a.arg(2)) },
  });
}

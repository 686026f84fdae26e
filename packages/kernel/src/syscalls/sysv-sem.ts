import { CLOCK, decodeStruct, encodeStruct, Errno, IPC, Sembuf, SEMF, SemidDs, SemInfo, SysError } from '@tvisor/abi';
import { clockNow, decodeTimespec } from '../clock.js';
import { ipcNamespaceOf } from '../namespaces.js';
import { ipcNow } from '../ipc/registry.js';
import { SEM_ADJUST_MAX, SEM_VALUE_MAX, SemSet } from '../ipc/sem-set.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** SEMMAP and SEMUSZ, which struct seminfo reports for IPC_INFO (Linux's constants). */
const SEM_MAP = 1024000000;
const SEM_UNDO_SIZE = 20;

function semget(t: Task, key: number, nsems: number, flags: number): number {
  const ns = ipcNamespaceOf(t);
  if (nsems < 0 || nsems > ns.semmsl) throw new SysError(Errno.EINVAL);
  return ns.sem.get(
    key,
    flags,
    t.creds,
    () => {
      if (nsems === 0) throw new SysError(Errno.EINVAL);
      return new SemSet(key, t.creds, flags, nsems);
    },
    (existing) => {
      if (nsems > existing.nsems) throw new SysError(Errno.EINVAL);
    },
  );
}

function semtimedop(t: Task, id: number, sopsAddr: number, nsops: number, timeoutAddr: number): number {
  const ns = ipcNamespaceOf(t);
  if (nsops < 1 || id < 0) throw new SysError(Errno.EINVAL);
  if (nsops > ns.semopm) throw new SysError(Errno.E2BIG);
  const raw = t.mm.copyIn(sopsAddr, nsops * Sembuf.size);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const sops: Sembuf[] = [];
  for (let i = 0; i < nsops; i++) sops.push(Sembuf.decode(view, i * Sembuf.size));
  let deadline: bigint | undefined;
  if (timeoutAddr !== 0) {
    const ts = t.mm.copyIn(timeoutAddr, 16);
    const tv = new DataView(ts.buffer, ts.byteOffset, 16);
    const sec = tv.getBigInt64(0, true);
    const nsec = tv.getBigInt64(8, true);
    if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new SysError(Errno.EINVAL);
    deadline = clockNow(CLOCK.MONOTONIC) + decodeTimespec(ts);
  }
  const set = ns.sem.lookup(id);
  const max = Math.max(...sops.map((s) => s.num));
  if (max >= set.nsems) throw new SysError(Errno.EFBIG);
  const alters = sops.some((s) => s.op !== 0);
  set.checkAccess(t.creds, alters ? 2 : 4);
  if (set.deleted) throw new SysError(Errno.EIDRM);
  const wantsUndo = sops.some((s) => s.flg & SEMF.UNDO);
  if (wantsUndo) ns.trackUndo(t.group);
  const undo = wantsUndo ? ns.undoFor(t.group, set) : undefined;
  const pid = t.group.pid;
  const blocking = set.tryApply(sops, pid, undo);
  if (blocking === undefined) {
    set.retryPending();
    return 0;
  }
  // The operation that would wait decides: with IPC_NOWAIT the call fails instead.
  if (blocking.flg & IPC.NOWAIT) throw new SysError(Errno.EAGAIN);
  return t.kernel.block(
    t,
    (complete) => {
      const cancelTimer = deadline === undefined ? undefined : t.kernel.setDeadline(CLOCK.MONOTONIC, deadline, () => finish(-Errno.EAGAIN));
      const leave = set.enqueue(sops, pid, undo, blocking, (r) => finish(r));
      function finish(r: number) {
        cancelTimer?.();
        leave();
        complete(r);
      }
      return () => {
        cancelTimer?.();
        leave();
      };
    },
    // semop is never restarted: a signal makes it fail with EINTR.
    -Errno.EINTR,
  );
}

function semInfo(t: Task, addr: number, usage: boolean): number {
  const ns = ipcNamespaceOf(t);
  const sets = ns.sem.all();
  const info: SemInfo = {
    semmap: SEM_MAP,
    semmni: ns.sem.limit,
    semmns: ns.semmns,
    semmsl: ns.semmsl,
    semopm: ns.semopm,
    semume: ns.semopm,
    // SEM_INFO puts the number of sets and of semaphores in use where IPC_INFO has limits.
    semusz: usage ? sets.length : SEM_UNDO_SIZE,
    semvmx: SEM_VALUE_MAX,
    semaem: usage ? sets.reduce((n, s) => n + s.nsems, 0) : SEM_ADJUST_MAX,
    semmnu: ns.semmns,
  };
  t.mm.copyOut(addr, encodeStruct(SemInfo, info));
  return ns.sem.highestSlot();
}

function semStat(t: Task, set: SemSet, addr: number, checkRead: boolean): void {
  if (checkRead) set.checkAccess(t.creds, 4);
  t.mm.copyOut(addr, encodeStruct(SemidDs, { perm: set.perm(), otime: set.otime, ctime: set.ctime, nsems: set.nsems }));
}

function semnum(set: SemSet, num: number): number {
  if (num < 0 || num >= set.nsems) throw new SysError(Errno.EINVAL);
  return num;
}

function semctl(t: Task, id: number, num: number, cmd: number, arg: number): number {
  const ns = ipcNamespaceOf(t);
  if (id < 0 || cmd < 0) throw new SysError(Errno.EINVAL);
  const creds = t.creds;
  switch (cmd) {
    case IPC.INFO:
    case SEMF.INFO:
      return semInfo(t, arg, cmd === SEMF.INFO);
    case SEMF.STAT:
    case SEMF.STAT_ANY: {
      const set = ns.sem.atSlot(id);
      semStat(t, set, arg, cmd === SEMF.STAT);
      return set.id;
    }
  }
  const set = ns.sem.lookup(id);
  switch (cmd) {
    case IPC.STAT:
      semStat(t, set, arg, true);
      return 0;
    case IPC.SET: {
      const ds = decodeStruct(SemidDs, t.mm.copyIn(arg, SemidDs.size));
      set.checkOwner(creds);
      set.setPerm(ds.perm);
      return 0;
    }
    case IPC.RMID:
      set.checkOwner(creds);
      ns.sem.remove(set);
      set.removed();
      return 0;
    case SEMF.GETVAL:
    case SEMF.GETPID:
    case SEMF.GETNCNT:
    case SEMF.GETZCNT: {
      set.checkAccess(creds, 4);
      const n = semnum(set, num);
      if (cmd === SEMF.GETVAL) return set.values[n];
      if (cmd === SEMF.GETPID) return set.pids[n];
      return set.waitingCount(n, cmd === SEMF.GETZCNT);
    }
    case SEMF.GETALL: {
      set.checkAccess(creds, 4);
      const out = new Uint8Array(set.nsems * 2);
      const view = new DataView(out.buffer);
      set.values.forEach((v, i) => view.setUint16(i * 2, v, true));
      t.mm.copyOut(arg, out);
      return 0;
    }
    case SEMF.SETVAL: {
      const n = semnum(set, num);
      // The union semun's int member is the low half of the argument.
      const value = arg | 0;
      set.checkAccess(creds, 2);
      set.setValue(n, value, t.group.pid);
      ns.clearUndo(set, n);
      set.ctime = ipcNow();
      set.retryPending();
      return 0;
    }
    case SEMF.SETALL: {
      set.checkAccess(creds, 2);
      const raw = t.mm.copyIn(arg, set.nsems * 2);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const values = set.values.map((_, i) => view.getUint16(i * 2, true));
      if (values.some((v) => v > SEM_VALUE_MAX)) throw new SysError(Errno.ERANGE);
      values.forEach((v, i) => set.setValue(i, v, t.group.pid));
      ns.clearUndo(set, undefined);
      set.ctime = ipcNow();
      set.retryPending();
      return 0;
    }
    default:
      throw new SysError(Errno.EINVAL);
  }
}

/** System V semaphores (semget(2), semop(2), semctl(2)), with SEM_UNDO applied when a process exits. */
export function registerSysvSemSyscalls(table: SyscallTable): void {
  table.register({
    semget: { args: ['hex', 'int', 'oct'], handler: (t, a) => semget(t, a.argInt(0), a.argInt(1), a.argInt(2)) },
    semop: { args: ['int', 'ptr', 'uint'], handler: (t, a) => semtimedop(t, a.argInt(0), a.arg(1), a.arg(2), 0) },
    semtimedop: { args: ['int', 'ptr', 'uint', 'ptr'], handler: (t, a) => semtimedop(t, a.argInt(0), a.arg(1), a.arg(2), a.arg(3)) },
    semctl: { args: ['int', 'int', 'int', 'hex'], handler: (t, a) => semctl(t, a.argInt(0), a.argInt(1), a.argInt(2), a.arg(3)) },
  });
}

import { CLOCK, Errno, FUTEX, SysError } from '@tvisor/abi';
import { clockNow, decodeTimespec } from '../clock.js';
import { FutexTable } from '../futex.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

function futexWait(t: Task, addr: number, val: number, timeoutAddr: number, bitset: number, absolute: boolean, clock: number, key: string): number {
  if (bitset === 0) throw new SysError(Errno.EINVAL);
  if (FutexTable.read(t, addr) !== val >>> 0) throw new SysError(Errno.EAGAIN);
  let deadline: bigint | undefined;
  if (timeoutAddr !== 0) {
    const ts = decodeTimespec(t.mm.copyIn(timeoutAddr, 16));
    deadline = absolute ? ts : clockNow(clock) + ts;
  }
  const table = t.kernel.futexes;
  return t.kernel.block(t, (complete) => {
    const dequeue = table.enqueue(key, { task: t, bitset, wake: () => finish(0) });
    const cancelTimer = deadline === undefined ? undefined : t.kernel.setDeadline(clock, deadline, () => finish(-Errno.ETIMEDOUT));
    function finish(r: number) {
      cancelTimer?.();
      dequeue();
      complete(r);
    }
    return () => {
      cancelTimer?.();
      dequeue();
    };
  });
}

/** Linux's wake loops count a waiter before comparing with the limit, so a count of 0 or less still wakes one. */
function wakeCount(count: number): number {
  return Math.max(1, count);
}

/** FUTEX_WAKE_OP: the operation on *uaddr2 and the comparison of its old value (futex(2)). */
function wakeOp(t: Task, uaddr: number, uaddr2: number, count: number, count2: number, encoded: number, shared: boolean): number {
  const opField = (encoded >>> 28) & 0xf;
  const cmp = (encoded >>> 24) & 0xf;
  let oparg = (encoded >>> 12) & 0xfff;
  const cmparg = encoded & 0xfff;
  if (opField & 8) oparg = 1 << (oparg & 31);
  const ops = ['set', 'add', 'or', 'and', 'xor'] as const;
  const op = ops[opField & 7];
  if (op === undefined) throw new SysError(Errno.ENOSYS);
  // FUTEX_OP_ANDN is and with the complement.
  const old = t.mm.atomicUpdate32(uaddr2, op, (opField & 7) === 3 ? ~oparg : oparg);
  const signedOld = old | 0;
  const sc = (cmparg << 20) >> 20;
  const hit = [signedOld === sc, signedOld !== sc, signedOld < sc, signedOld <= sc, signedOld > sc, signedOld >= sc][cmp];
  if (hit === undefined) throw new SysError(Errno.ENOSYS);
  const futexes = t.kernel.futexes;
  let woken = futexes.wake(FutexTable.key(t, uaddr, shared), wakeCount(count));
  if (hit) woken += futexes.wake(FutexTable.key(t, uaddr2, shared), wakeCount(count2));
  return woken;
}

/**
 * Priority-inheritance futexes, to the level glibc's PTHREAD_PRIO_INHERIT
 * mutexes use them: the word holds the owner's tid (and FUTEX_WAITERS);
 * unlock hands the lock to the oldest waiter. (There are no priorities to
 * inherit in the sentry's scheduler.)
 */
function lockPi(t: Task, addr: number, tryOnly: boolean, shared: boolean): number {
  const tid = t.tid;
  const acquire = (): boolean => {
    for (;;) {
      const cur = FutexTable.read(t, addr);
      const owner = cur & FUTEX.TID_MASK;
      if (owner === 0) {
        // Free (possibly with OWNER_DIED): take it, keeping the waiters bit.
        if (t.mm.atomicCompareExchange32(addr, cur, (tid | (cur & FUTEX.WAITERS)) >>> 0) === cur) return true;
        continue;
      }
      if (owner === tid) throw new SysError(Errno.EDEADLK);
      if (!t.kernel.tasks.has(owner)) {
        // The owner is gone: Linux marks the lock OWNER_DIED and gives it to the caller.
        if (t.mm.atomicCompareExchange32(addr, cur, (tid | FUTEX.OWNER_DIED | (cur & FUTEX.WAITERS)) >>> 0) === cur) return true;
        continue;
      }
      return false;
    }
  };
  if (acquire()) return 0;
  if (tryOnly) throw new SysError(Errno.EAGAIN);
  t.mm.atomicUpdate32(addr, 'or', FUTEX.WAITERS);
  const key = FutexTable.key(t, addr, shared);
  return t.kernel.block(t, (complete) => t.kernel.futexes.enqueue(key, { task: t, bitset: 0xffffffff, wake: () => complete(0) }), -Errno.EINTR);
}

function unlockPi(t: Task, addr: number, shared: boolean): number {
  const cur = FutexTable.read(t, addr);
  if ((cur & FUTEX.TID_MASK) !== t.tid) throw new SysError(Errno.EPERM);
  const key = FutexTable.key(t, addr, shared);
  const waiting = t.kernel.futexes.waiters(key);
  if (waiting.length === 0) {
    t.mm.atomicCompareExchange32(addr, cur, 0);
    return 0;
  }
  // Hand the lock to the oldest waiter; its FUTEX_LOCK_PI returns 0 owning it.
  const next = waiting[0];
  t.mm.atomicUpdate32(addr, 'set', (next.tid | (waiting.length > 1 ? FUTEX.WAITERS : 0)) >>> 0);
  t.kernel.futexes.wake(key, 1);
  return 0;
}

/** Private and shared futexes keyed by process and address (shared across processes: not yet). */
export function registerFutexSyscalls(table: SyscallTable): void {
  table.register({
    futex: {
      args: ['ptr', 'hex', 'uint', 'ptr', 'ptr', 'uint'],
      support: 'partial',
      note: 'WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, *_BITSET (shared ones meet across processes on MAP_SHARED memory), LOCK_PI/UNLOCK_PI/TRYLOCK_PI (private)',
      handler: (t, a) => {
        const addr = a.arg(0);
        const op = a.argInt(1);
        const cmd = op & FUTEX.CMD_MASK;
        const clock = op & FUTEX.CLOCK_REALTIME ? CLOCK.REALTIME : CLOCK.MONOTONIC;
        const shared = (op & FUTEX.PRIVATE_FLAG) === 0;
        const key = (at: number) => FutexTable.key(t, at, shared);
        const futexes = t.kernel.futexes;
        switch (cmd) {
          case FUTEX.WAIT:
            return futexWait(t, addr, a.argUint(2), a.arg(3), 0xffffffff, false, CLOCK.MONOTONIC, key(addr));
          case FUTEX.WAIT_BITSET:
            return futexWait(t, addr, a.argUint(2), a.arg(3), a.argUint(5), true, clock, key(addr));
          case FUTEX.WAKE:
            return futexes.wake(key(addr), wakeCount(a.argInt(2)));
          case FUTEX.WAKE_BITSET:
            // As futex_wake: a waiter can never match an empty bitset.
            if (a.argUint(5) === 0) throw new SysError(Errno.EINVAL);
            return futexes.wake(key(addr), wakeCount(a.argInt(2)), a.argUint(5));
          case FUTEX.REQUEUE:
          case FUTEX.CMP_REQUEUE: {
            if (cmd === FUTEX.CMP_REQUEUE && FutexTable.read(t, addr) !== a.argUint(5)) throw new SysError(Errno.EAGAIN);
            // The fourth argument is val2 (how many to requeue), passed in the timeout slot.
            return futexes.requeue(key(addr), key(a.arg(4)), a.argUint(2), a.argUint(3));
          }
          case FUTEX.WAKE_OP:
            return wakeOp(t, addr, a.arg(4), a.argInt(2), a.argInt(3), a.argUint(5), shared);
          case FUTEX.LOCK_PI:
          case FUTEX.LOCK_PI2:
            return lockPi(t, addr, false, shared);
          case FUTEX.TRYLOCK_PI:
            return lockPi(t, addr, true, shared);
          case FUTEX.UNLOCK_PI:
            return unlockPi(t, addr, shared);
          default:
            throw new SysError(Errno.ENOSYS);
        }
      },
    },
    get_robust_list: {
      args: ['int', 'ptr', 'ptr'],
      handler: (t, a) => {
        const pid = a.argInt(0);
        const target = pid === 0 ? t : t.kernel.tasks.get(pid);
        if (!target) throw new SysError(Errno.ESRCH);
        const out = new Uint8Array(8);
        new DataView(out.buffer).setBigUint64(0, BigInt(target.robustList), true);
        t.mm.copyOut(a.arg(1), out);
        const len = new Uint8Array(8);
        new DataView(len.buffer).setBigUint64(0, 24n, true);
        t.mm.copyOut(a.arg(2), len);
        return 0;
      },
    },
    set_robust_list: {
      args: ['ptr', 'uint'],
      handler: (t, a) => {
        if (a.arg(1) !== 24) throw new SysError(Errno.EINVAL);
        t.robustList = a.arg(0);
        return 0;
      },
    },
  });
}

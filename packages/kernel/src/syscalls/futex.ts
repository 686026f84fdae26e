import { CLOCK, Errno, FUTEX, SysError } from '@tvisor/abi';
import { clockNow, decodeTimespec } from '../clock.js';
import { FutexTable } from '../futex.js';
import type { Task } from '../task.js';
import type { SyscallTable } from './table.js';

function futexWait(t: Task, addr: number, val: number, timeoutAddr: number, bitset: number, absolute: boolean, clock: number): number {
  if (bitset === 0) throw new SysError(Errno.EINVAL);
  if (FutexTable.read(t, addr) !== val >>> 0) throw new SysError(Errno.EAGAIN);
  let deadline: bigint | undefined;
  if (timeoutAddr !== 0) {
    const ts = decodeTimespec(t.mm.copyIn(timeoutAddr, 16));
    deadline = absolute ? ts : clockNow(clock) + ts;
  }
  const table = t.kernel.futexes;
  const key = FutexTable.key(t, addr);
  return t.kernel.block(t, (complete) => {
    const dequeue = table.enqueue(key, { task: t, bitset, wake: () => finish(0) });
    const cancelTimer = deadline === undefined ? undefined : t.kernel.setTimer(Number(deadline - clockNow(clock)) / 1e6, () => finish(-Errno.ETIMEDOUT));
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

/** Private and shared futexes keyed by process and address (shared across processes: not yet). */
export function registerFutexSyscalls(table: SyscallTable): void {
  table.register({
    futex: {
      args: ['ptr', 'hex', 'uint', 'ptr', 'ptr', 'uint'],
      support: 'partial',
      note: 'WAIT, WAKE, REQUEUE, CMP_REQUEUE, *_BITSET; shared futexes act as private; no PI or WAKE_OP yet',
      handler: (t, a) => {
        const addr = a.arg(0);
        const op = a.argInt(1);
        const cmd = op & FUTEX.CMD_MASK;
        const clock = op & FUTEX.CLOCK_REALTIME ? CLOCK.REALTIME : CLOCK.MONOTONIC;
        const futexes = t.kernel.futexes;
        switch (cmd) {
          case FUTEX.WAIT:
            return futexWait(t, addr, a.argUint(2), a.arg(3), 0xffffffff, false, CLOCK.MONOTONIC);
          case FUTEX.WAIT_BITSET:
            return futexWait(t, addr, a.argUint(2), a.arg(3), a.argUint(5), true, clock);
          case FUTEX.WAKE:
            return futexes.wake(FutexTable.key(t, addr), a.argUint(2));
          case FUTEX.WAKE_BITSET:
            return futexes.wake(FutexTable.key(t, addr), a.argUint(2), a.argUint(5));
          case FUTEX.REQUEUE:
          case FUTEX.CMP_REQUEUE: {
            if (cmd === FUTEX.CMP_REQUEUE && FutexTable.read(t, addr) !== a.argUint(5)) throw new SysError(Errno.EAGAIN);
            // The fourth argument is val2 (how many to requeue), passed in the timeout slot.
            return futexes.requeue(FutexTable.key(t, addr), FutexTable.key(t, a.arg(4)), a.argUint(2), a.argUint(3));
          }
          default:
            throw new SysError(Errno.ENOSYS);
        }
      },
    },
    set_robust_list: {
      args: ['ptr', 'uint'],
      support: 'partial',
      note: 'recorded; robust futexes are not cleaned up on death yet',
      handler: (t, a) => {
        if (a.arg(1) !== 24) throw new SysError(Errno.EINVAL);
        t.robustList = a.arg(0);
        return 0;
      },
    },
  });
}

import { EFD, Errno, SysError } from '@tvisor/abi';
import { createEventFd } from '../events/eventfd.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

function eventfd2(t: Task, initial: number, flags: number): number {
  if (flags & ~(EFD.SEMAPHORE | EFD.NONBLOCK | EFD.CLOEXEC)) throw new SysError(Errno.EINVAL);
  const file = createEventFd(initial, (flags & EFD.SEMAPHORE) !== 0, flags & EFD.NONBLOCK);
  return t.group.fds.add(file, (flags & EFD.CLOEXEC) !== 0);
}

/** eventfd and eventfd2 (eventfd(2)); reads and writes go through read(2)/write(2). */
export function registerEventfdSyscalls(table: SyscallTable): void {
  table.register({
    eventfd: { args: ['uint'], handler: (t, a) => eventfd2(t, a.argUint(0), 0) },
    eventfd2: { args: ['uint', 'hex'], handler: (t, a) => eventfd2(t, a.argUint(0), a.argInt(1)) },
  });
}

import { Errno, SFD, SysError } from '@tvisor/abi';
import { createSignalFd, SignalFdImpl } from '../events/signalfd.js';
import type { Task } from '../task.js';
import { readSigmask } from './poll.js';
import type { SyscallTable } from '../syscall-table.js';

/**
 * signalfd4(2): a new signalfd when `fd` is -1, else a new mask for the
 * signalfd `fd` (EINVAL if it is something else). SIGKILL and SIGSTOP are
 * silently left out of the mask.
 */
function signalfd4(t: Task, fd: number, maskAddr: number, size: number, flags: number): number {
  if (flags & ~(SFD.NONBLOCK | SFD.CLOEXEC)) throw new SysError(Errno.EINVAL);
  const mask = readSigmask(t, maskAddr, size);
  if (fd !== -1) {
    const file = t.group.fds.get(fd);
    if (!(file.impl instanceof SignalFdImpl)) throw new SysError(Errno.EINVAL);
    file.impl.setMask(file, mask);
    return fd;
  }
  const kernel = t.kernel;
  const impl = new SignalFdImpl(mask, t.group, () => kernel.current?.group);
  return t.group.fds.add(createSignalFd(impl, flags & SFD.NONBLOCK), (flags & SFD.CLOEXEC) !== 0);
}

/** signalfd and signalfd4 (signalfd(2)); signals are read with read(2). */
export function registerSignalfdSyscalls(table: SyscallTable): void {
  table.register({
    signalfd: {
      args: ['fd', 'ptr', 'uint'],
      support: 'partial',
      note: 'reads only process-directed signals (thread-directed ones are not queued separately yet)',
      handler: (t, a) => signalfd4(t, a.argInt(0), a.arg(1), a.arg(2), 0),
    },
    signalfd4: {
      args: ['fd', 'ptr', 'uint', 'hex'],
      support: 'partial',
      note: 'reads only process-directed signals (thread-directed ones are not queued separately yet)',
      handler: (t, a) => signalfd4(t, a.argInt(0), a.arg(1), a.arg(2), a.argInt(3)),
    },
  });
}

import { registerCredentialSyscalls } from './syscalls/creds.js';
import { registerEpollSyscalls } from './syscalls/epoll.js';
import { registerAioSyscalls } from './syscalls/aio.js';
import { registerIoUringSyscalls } from './syscalls/io-uring.js';
import { registerMempolicySyscalls } from './syscalls/mempolicy.js';
import { registerEventfdSyscalls } from './syscalls/eventfd.js';
import { registerFileSyscalls } from './syscalls/file.js';
import { registerFutexSyscalls } from './syscalls/futex.js';
import { registerSpliceSyscalls } from './syscalls/splice.js';
import { registerFileSpaceSyscalls } from './syscalls/file-space.js';
import { registerInotifySyscalls } from './syscalls/inotify.js';
import { registerLifecycleSyscalls } from './syscalls/lifecycle.js';
import { registerSessionSyscalls } from './syscalls/session.js';
import { registerLockSyscalls } from './syscalls/locks.js';
import { registerResourceSyscalls } from './syscalls/resource.js';
import { registerMemorySyscalls } from './syscalls/memory.js';
import { registerMountSyscalls } from './syscalls/mount.js';
import { registerNamespaceSyscalls } from './syscalls/namespaces.js';
import { registerPathSyscalls } from './syscalls/path.js';
import { registerPollSyscalls } from './syscalls/poll.js';
import { registerProcessSyscalls } from './syscalls/process.js';
import { registerProcessVmSyscalls } from './syscalls/process-vm.js';
import { registerPtraceSyscalls } from './syscalls/ptrace.js';
import { registerPidfdSyscalls } from './syscalls/pidfd.js';
import { registerClone3Syscalls } from './syscalls/clone3.js';
import { registerSeccompSyscalls } from './syscalls/seccomp.js';
import { registerSignalSyscalls } from './syscalls/signal.js';
import { registerSignalfdSyscalls } from './syscalls/signalfd.js';
import { registerSocketSyscalls } from './syscalls/socket.js';
import { registerRusageSyscalls } from './syscalls/rusage.js';
import { registerPrctlSyscalls } from './syscalls/prctl.js';
import { registerSchedSyscalls } from './syscalls/sched.js';
import { registerPrioritySyscalls } from './syscalls/priority.js';
import { registerItimerSyscalls } from './syscalls/itimer.js';
import { registerUtsSyscalls } from './syscalls/uts.js';
import { registerSyslogSyscalls } from './syscalls/syslog.js';
import { registerTimeSyscalls } from './syscalls/time.js';
import { registerTimerSyscalls } from './syscalls/timers.js';
import { registerXattrSyscalls } from './syscalls/xattr.js';
import { registerTimerfdSyscalls } from './syscalls/timerfd.js';
import { registerMqueueSyscalls } from './syscalls/mqueue.js';
import { registerSysvMsgSyscalls } from './syscalls/sysv-msg.js';
import { registerSysvSemSyscalls } from './syscalls/sysv-sem.js';
import { registerSysvShmSyscalls } from './syscalls/sysv-shm.js';
import { SyscallTable } from './syscall-table.js';

// The x86-64 Linux syscall table, assembled from the handler families in
// syscalls/. It is built here, outside the kernel core, and handed to the
// Kernel (KernelOptions.syscalls): the core never imports a handler.

/** A new table holding every syscall family the kernel implements for x86-64 Linux. */
export function linux64SyscallTable(): SyscallTable {
  const table = new SyscallTable();
  registerLinux64Syscalls(table);
  return table;
}

/** Fills `table` with every syscall family the kernel implements. */
export function registerLinux64Syscalls(table: SyscallTable): void {
  registerProcessSyscalls(table);
  registerProcessVmSyscalls(table);
  registerPtraceSyscalls(table);
  registerPidfdSyscalls(table);
  registerClone3Syscalls(table);
  registerSeccompSyscalls(table);
  registerLifecycleSyscalls(table);
  registerSessionSyscalls(table);
  registerCredentialSyscalls(table);
  registerMemorySyscalls(table);
  registerSignalSyscalls(table);
  registerFileSyscalls(table);
  registerPathSyscalls(table);
  registerSpliceSyscalls(table);
  registerFileSpaceSyscalls(table);
  registerLockSyscalls(table);
  registerTimeSyscalls(table);
  registerTimerSyscalls(table);
  registerXattrSyscalls(table);
  registerMountSyscalls(table);
  registerNamespaceSyscalls(table);
  registerFutexSyscalls(table);
  registerResourceSyscalls(table);
  registerRusageSyscalls(table);
  registerPrctlSyscalls(table);
  registerSchedSyscalls(table);
  registerPrioritySyscalls(table);
  registerItimerSyscalls(table);
  registerUtsSyscalls(table);
  registerSyslogSyscalls(table);
  registerPollSyscalls(table);
  registerEpollSyscalls(table);
  registerEventfdSyscalls(table);
  registerAioSyscalls(table);
  registerIoUringSyscalls(table);
  registerMempolicySyscalls(table);
  registerTimerfdSyscalls(table);
  registerSignalfdSyscalls(table);
  registerInotifySyscalls(table);
  registerSocketSyscalls(table);
  registerSysvMsgSyscalls(table);
  registerSysvSemSyscalls(table);
  registerSysvShmSyscalls(table);
  registerMqueueSyscalls(table);
}

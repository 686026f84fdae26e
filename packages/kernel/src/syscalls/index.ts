import { registerCredentialSyscalls } from './creds.js';
import { registerEpollSyscalls } from './epoll.js';
import { registerEventfdSyscalls } from './eventfd.js';
import { registerFileSyscalls } from './file.js';
import { registerFutexSyscalls } from './futex.js';
import { registerExtraIoSyscalls } from './io-extra.js';
import { registerInotifySyscalls } from './inotify.js';
import { registerLifecycleSyscalls } from './lifecycle.js';
import { registerLockSyscalls } from './locks.js';
import { registerResourceSyscalls } from './resource.js';
import { registerMemorySyscalls } from './memory.js';
import { registerPathSyscalls } from './path.js';
import { registerPollSyscalls } from './poll.js';
import { registerProcessSyscalls } from './process.js';
import { registerSignalSyscalls } from './signal.js';
import { registerSignalfdSyscalls } from './signalfd.js';
import { registerSocketSyscalls } from './socket.js';
import { registerSystemSyscalls } from './system.js';
import { registerTimeSyscalls } from './time.js';
import { registerTimerfdSyscalls } from './timerfd.js';
import type { SyscallTable } from './table.js';

/** Fills the table with every syscall family the kernel implements. */
export function registerAllSyscalls(table: SyscallTable): void {
  registerProcessSyscalls(table);
  registerLifecycleSyscalls(table);
  registerCredentialSyscalls(table);
  registerMemorySyscalls(table);
  registerSignalSyscalls(table);
  registerFileSyscalls(table);
  registerPathSyscalls(table);
  registerExtraIoSyscalls(table);
  registerLockSyscalls(table);
  registerTimeSyscalls(table);
  registerFutexSyscalls(table);
  registerResourceSyscalls(table);
  registerSystemSyscalls(table);
  registerPollSyscalls(table);
  registerEpollSyscalls(table);
  registerEventfdSyscalls(table);
  registerTimerfdSyscalls(table);
  registerSignalfdSyscalls(table);
  registerInotifySyscalls(table);
  registerSocketSyscalls(table);
}

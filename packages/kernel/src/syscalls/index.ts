import { registerCredentialSyscalls } from './creds.js';
import { registerFileSyscalls } from './file.js';
import { registerFutexSyscalls } from './futex.js';
import { registerLifecycleSyscalls } from './lifecycle.js';
import { registerLockSyscalls } from './locks.js';
import { registerResourceSyscalls } from './resource.js';
import { registerMemorySyscalls } from './memory.js';
import { registerPathSyscalls } from './path.js';
import { registerProcessSyscalls } from './process.js';
import { registerSignalSyscalls } from './signal.js';
import { registerSocketSyscalls } from './socket.js';
import { registerSystemSyscalls } from './system.js';
import { registerTimeSyscalls } from './time.js';
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
  registerLockSyscalls(table);
  registerTimeSyscalls(table);
  registerFutexSyscalls(table);
  registerResourceSyscalls(table);
  registerSystemSyscalls(table);
  registerSocketSyscalls(table);
}

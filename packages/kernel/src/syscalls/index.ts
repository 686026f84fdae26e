import { registerFileSyscalls } from './file.js';
import { registerMemorySyscalls } from './memory.js';
import { registerProcessSyscalls } from './process.js';
import { registerSignalSyscalls } from './signal.js';
import { registerTimeSyscalls } from './time.js';
import type { SyscallTable } from './table.js';

/** Fills the table with every syscall family the kernel implements. */
export function registerAllSyscalls(table: SyscallTable): void {
  registerProcessSyscalls(table);
  registerMemorySyscalls(table);
  registerSignalSyscalls(table);
  registerFileSyscalls(table);
  registerTimeSyscalls(table);
}

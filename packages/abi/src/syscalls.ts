import { SYS } from './generated/syscalls.js';

export { SYS, SYSCALL_MAX } from './generated/syscalls.js';

/** A syscall name known to the host header, e.g. `'openat'`. */
export type SyscallName = keyof typeof SYS;

function buildNames(): readonly string[] {
  // Sparse on purpose: numbers with no syscall (e.g. 335..423) read as undefined.
  const names: string[] = [];
  for (const [name, nr] of Object.entries(SYS)) names[nr] = name;
  return names;
}

/** Syscall names indexed by number; holes where x86-64 has no syscall. */
export const SYSCALL_NAMES: readonly string[] = buildNames();

/** Name of syscall `nr`, or `syscall_<nr>` when the number is unassigned. */
export function syscallName(nr: number): string {
  return SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
}

import type { TrapInfo } from './frame.js';
import { TASK_SIZE_MAX } from './frame.js';

/** x86 exception vectors Linux records as a thread's trap number. */
export const X86_TRAP = {
  DE: 0,
  DB: 1,
  BP: 3,
  OF: 4,
  BR: 5,
  UD: 6,
  NM: 7,
  GP: 13,
  PF: 14,
  MF: 16,
  AC: 17,
  XF: 19,
} as const;

/** Page-fault error code bits. */
export const X86_PF = { PROT: 1, WRITE: 2, USER: 4, RSVD: 8, INSTR: 16, PK: 32 } as const;

/** A thread that never trapped: what kill(2)-raised signals show until the first fault. */
export const NO_TRAP: TrapInfo = Object.freeze({ trapno: 0n, err: 0n, cr2: 0n });

/** How a user-mode page fault accessed memory. */
export interface PageFaultAccess {
  /** The page was mapped in the page tables (a protection fault rather than a missing page). */
  present: boolean;
  write: boolean;
  /** An instruction fetch. */
  fetch: boolean;
  /** A protection-key violation. */
  pkey?: boolean;
}

/**
 * The trap details after a user page fault at `addr` that raises a signal:
 * vector 14, the error code with USER set, cr2 = addr. Like Linux, faults on
 * kernel addresses (at or above TASK_SIZE_MAX) always claim PROT, so the
 * page-table layout there does not leak.
 */
export function pageFaultTrap(addr: bigint, access: PageFaultAccess): TrapInfo {
  let err = X86_PF.USER;
  if (access.present || addr >= BigInt(TASK_SIZE_MAX)) err |= X86_PF.PROT;
  if (access.write) err |= X86_PF.WRITE;
  if (access.fetch) err |= X86_PF.INSTR;
  if (access.pkey === true) err |= X86_PF.PK;
  return { trapno: BigInt(X86_TRAP.PF), err: BigInt(err), cr2: BigInt.asUintN(64, addr) };
}

/**
 * The trap details after any other signal-raising exception (#DE, #UD, #BP,
 * #GP...): the vector and its error code (0 for most), with cr2 left from
 * the last page fault, as Linux keeps it.
 */
export function exceptionTrap(previous: TrapInfo, vector: number, errorCode: bigint = 0n): TrapInfo {
  return { trapno: BigInt(vector), err: errorCode, cr2: previous.cr2 };
}

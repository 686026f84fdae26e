// The legacy vsyscall page (0xffffffffff600000): binaries from before the
// vDSO, and old Go runtimes, call its entries as functions. The application
// cannot execute it under the sentry: a call arrives as a fault at the entry
// (on a host with vsyscall=none) or trapped by the platform (which presents
// it so), and is served here as the syscall the entry stands for.
import { Errno, PAGE_SIZE, SYS, VSYSCALL_ADDR, VSYSCALL_NR } from '@tvisor/abi';
import { REG, type Registers } from '@tvisor/platform';

/** What serving a vsyscall needs of a task (a Task; not imported, to stay out of the kernel's import cycle). */
export interface VsyscallCaller {
  readonly regs: Registers;
  readonly mm: { copyIn(addr: number, length: number): Uint8Array };
  readonly exited: boolean;
}

/** Bytes between two entries of the page. */
const ENTRY_SIZE = 1024;

/** The syscall each entry stands for. */
const ENTRY_SYSCALLS: Readonly<Record<number, number>> = {
  [VSYSCALL_NR.GETTIMEOFDAY]: SYS.gettimeofday,
  [VSYSCALL_NR.TIME]: SYS.time,
  [VSYSCALL_NR.GETCPU]: SYS.getcpu,
};

/** The page's line in /proc/PID/maps: execute-only, as Linux shows it with vsyscall=xonly (its default). */
export const VSYSCALL_MAPS_LINE =
  `${VSYSCALL_ADDR.toString(16)}-${(VSYSCALL_ADDR + BigInt(PAGE_SIZE)).toString(16)} --xp 00000000 00:00 0`.padEnd(73) + '[vsyscall]\n';

/**
 * A fault of `task` with its instruction pointer in the vsyscall page:
 * at an entry, the call is served by `serve` (the kernel's syscall path)
 * with the entry's `ret` done first, as Linux's emulation does, and true
 * returned. False (elsewhere in the page, a return address that cannot be
 * read, or a bad pointer passed to the call) leaves the task at the entry
 * for the fault's SIGSEGV.
 */
export function serveVsyscall(task: VsyscallCaller, serve: () => void): boolean {
  const regs = task.regs;
  const ip = regs.getBig(REG.rip);
  if (ip < VSYSCALL_ADDR || ip >= VSYSCALL_ADDR + BigInt(PAGE_SIZE)) return false;
  const offset = Number(ip - VSYSCALL_ADDR);
  const nr = offset % ENTRY_SIZE === 0 ? ENTRY_SYSCALLS[offset / ENTRY_SIZE] : undefined;
  if (nr === undefined) return false;
  const sp = regs.sp;
  let caller: bigint;
  try {
    caller = new DataView(task.mm.copyIn(sp, 8).buffer).getBigUint64(0, true);
  } catch {
    return false;
  }
  regs.set(REG.orig_rax, nr);
  regs.setBig(REG.rip, caller);
  regs.sp = sp + 8;
  serve();
  if (task.exited) return true;
  // Not a syscall the host could restart: the thread goes on at the caller.
  regs.setBig(REG.orig_rax, -1n);
  if (regs.getSigned(REG.rax) === -Errno.EFAULT) {
    // Linux answers a bad pointer given to a vsyscall with SIGSEGV, at the entry.
    regs.setBig(REG.rip, ip);
    regs.sp = sp;
    return false;
  }
  return true;
}

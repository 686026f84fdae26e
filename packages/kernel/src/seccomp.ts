// seccomp as the kernel applies it: every syscall of a filtered task first
// runs its filters over seccomp_data, and the most restrictive action wins.
// The seccomp(2)/prctl handlers (syscalls/seccomp.ts) only install filters.
import { AUDIT_ARCH_X86_64, Errno, SECCOMP, SECCOMP_RET, SYS, Signal, wTermCode } from '@tvisor/abi';
import { runBpf, type BpfInstruction } from './bpf.js';
import type { Registers } from '@tvisor/platform';
import { SIG_DFL, SIG_IGN, sigbit, type SignalState } from './signals.js';
import { sigInfoSeccomp } from './signals/index.js';

/**
 * What seccomp needs of a task and its process: a narrow view, so that this
 * file does not import task.ts or kernel.ts (which import it).
 */
interface FilteredTask {
  readonly regs: Registers;
  readonly blocked: bigint;
  readonly group: FilteredProcess;
}
interface FilteredProcess {
  readonly pid: number;
  readonly signals: SignalState;
  readonly tasks: { readonly size: number };
}
/** The kernel operations seccomp's actions use. */
interface SeccompKernel<T extends FilteredTask> {
  readonly log: { event(text: string): void };
  exitGroup(group: T['group'], status: number): void;
  exitThread(task: T, code: number): void;
  killGroup(group: T['group'], sig: number): void;
}

/** sizeof(struct seccomp_data): nr, arch, instruction_pointer, args[6]. */
export const SECCOMP_DATA_SIZE = 64;
/** The largest errno SECCOMP_RET_ERRNO can return (MAX_ERRNO). */
const MAX_ERRNO = 4095;
/** The syscalls SECCOMP_MODE_STRICT allows. */
const STRICT_ALLOWED = new Set<number>([SYS.read, SYS.write, SYS.exit, SYS.rt_sigreturn]);

/** One installed filter and the filters installed before it (an immutable chain shared by forks and threads). */
export interface SeccompFilter {
  readonly program: readonly BpfInstruction[];
  readonly log: boolean;
  readonly previous: SeccompFilter | undefined;
}

/** A task's seccomp state: its mode and, in filter mode, the newest filter. */
export interface SeccompState {
  readonly mode: number;
  readonly filter: SeccompFilter | undefined;
}

/** The filter chain's length (filters installed), for limits and /proc. */
export function filterCount(f: SeccompFilter | undefined): number {
  let n = 0;
  for (; f; f = f.previous) n++;
  return n;
}

/** Whether chain `older` is `newer` or one of its ancestors (TSYNC may only extend a thread's filters). */
export function isAncestor(older: SeccompFilter | undefined, newer: SeccompFilter | undefined): boolean {
  for (let f = newer; ; f = f.previous) {
    if (f === older) return true;
    if (!f) return false;
  }
}

/** Actions ordered as Linux orders them: the lower the signed action, the more restrictive. */
function actionRank(ret: number): number {
  return (ret & SECCOMP_RET.ACTION_FULL) | 0;
}

function seccompData(task: FilteredTask, nr: number): DataView {
  const view = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));
  view.setInt32(0, nr, true);
  view.setUint32(4, AUDIT_ARCH_X86_64, true);
  view.setBigUint64(8, BigInt(task.regs.ip), true);
  for (let i = 0; i < 6; i++) view.setBigUint64(16 + i * 8, task.regs.argBig(i), true);
  return view;
}

/** Runs every filter of the chain (newest first) and returns the most restrictive result. */
export function evaluateFilters(newest: SeccompFilter, data: DataView): number {
  let result: number = SECCOMP_RET.ALLOW;
  for (let f: SeccompFilter | undefined = newest; f; f = f.previous) {
    const r = runBpf(f.program, data);
    if (actionRank(r) < actionRank(result)) result = r;
  }
  return result;
}

/** SIGSYS forced on the task as Linux's force_sig_seccomp does: blocked, ignored or default, it kills. */
function forceSigsys<T extends FilteredTask>(kernel: SeccompKernel<T>, task: T, info: Uint8Array): void {
  const g = task.group;
  const action = g.signals.actions[Signal.SIGSYS];
  if (task.blocked & sigbit(Signal.SIGSYS) || action.handler === SIG_IGN || action.handler === SIG_DFL) {
    kernel.exitGroup(g, wTermCode(Signal.SIGSYS));
    return;
  }
  g.signals.enqueue(Signal.SIGSYS, info);
}

/** Ends `task` for SECCOMP_RET_KILL_THREAD: the whole process if it is the last thread, as Linux does. */
function killThread<T extends FilteredTask>(kernel: SeccompKernel<T>, task: T): void {
  if (task.group.tasks.size <= 1) kernel.exitGroup(task.group, wTermCode(Signal.SIGSYS));
  else kernel.exitThread(task, 0);
}

/** What the kernel does with a syscall after seccomp: run it, or finish it with `result` ('keep': registers as they are). */
export type SeccompVerdict = { run: true } | { run: false; result: number | 'keep' };

/**
 * Applies `task`'s seccomp mode to syscall `nr` before it runs. Strict mode
 * kills on anything but read/write/exit/rt_sigreturn. Filter mode acts on
 * the most restrictive filter result: ALLOW and LOG run the syscall; ERRNO
 * fails it with the data as errno; TRAP skips it and forces SIGSYS (with
 * si_call_addr, si_syscall, si_arch, and the data in si_errno); TRACE and
 * USER_NOTIF with nobody to hand the syscall to fail it with ENOSYS;
 * KILL_THREAD ends the thread, KILL_PROCESS (and any unknown action) the
 * process, by SIGSYS.
 */
export function applySeccomp<T extends FilteredTask>(kernel: SeccompKernel<T>, task: T, state: SeccompState, nr: number): SeccompVerdict {
  if (state.mode === SECCOMP.MODE_STRICT) {
    if (STRICT_ALLOWED.has(nr)) return { run: true };
    kernel.killGroup(task.group, Signal.SIGKILL);
    return { run: false, result: 'keep' };
  }
  if (!state.filter) return { run: true };
  const ret = evaluateFilters(state.filter, seccompData(task, nr));
  const data = ret & SECCOMP_RET.DATA;
  switch ((ret & SECCOMP_RET.ACTION_FULL) >>> 0) {
    case SECCOMP_RET.ALLOW:
      return { run: true };
    case SECCOMP_RET.LOG:
      kernel.log.event(`seccomp: pid ${task.group.pid} syscall ${nr} allowed by a LOG filter`);
      return { run: true };
    case SECCOMP_RET.ERRNO:
      return { run: false, result: -Math.min(data, MAX_ERRNO) };
    case SECCOMP_RET.TRACE:
    case SECCOMP_RET.USER_NOTIF:
      return { run: false, result: -Errno.ENOSYS };
    case SECCOMP_RET.TRAP:
      return trap(kernel, task, nr, data);
    case SECCOMP_RET.KILL_THREAD:
      killThread(kernel, task);
      return { run: false, result: 'keep' };
    default:
      kernel.exitGroup(task.group, wTermCode(Signal.SIGSYS));
      return { run: false, result: 'keep' };
  }
}

function trap<T extends FilteredTask>(kernel: SeccompKernel<T>, task: T, nr: number, data: number): SeccompVerdict {
  forceSigsys(kernel, task, sigInfoSeccomp({ addr: task.regs.ip, nr, data }));
  // The syscall is rolled back: rax holds its number again, as on Linux.
  return { run: false, result: nr };
}

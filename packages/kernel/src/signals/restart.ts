import { Errno, SA, SYS } from '@tvisor/abi';
import { SYSCALL_INSN_SIZE } from './constants.js';
import type { RegisterSource } from './registers.js';
import { GREG, readGeneralRegisters } from './registers.js';

/** The registers a syscall restart looks at and changes. */
export interface SyscallRestartState {
  /** The syscall's result so far (a -ERESTART* code asks for a restart). */
  rax: bigint;
  /** The syscall number, or -1 (as u64 or signed) if the thread is not returning from a syscall. */
  origRax: bigint;
  rip: bigint;
}

/**
 * What happens to an interrupted syscall:
 * - `none`: not a syscall, or its result was not a restart code; nothing changes.
 * - `eintr`: it fails with EINTR.
 * - `restart`: rip goes back over the `syscall` instruction and rax gets the syscall number again.
 * - `restart_syscall`: the same, but rax gets __NR_restart_syscall, which resumes the call from its restart block.
 */
export type SyscallRestartKind = 'none' | 'eintr' | 'restart' | 'restart_syscall';

export interface SyscallRestartDecision {
  readonly kind: SyscallRestartKind;
  /** rax and rip to resume with (unchanged for `none`). */
  readonly rax: bigint;
  readonly rip: bigint;
}

const ERESTARTSYS = -BigInt(Errno.ERESTARTSYS);
const ERESTARTNOINTR = -BigInt(Errno.ERESTARTNOINTR);
const ERESTARTNOHAND = -BigInt(Errno.ERESTARTNOHAND);
const ERESTART_RESTARTBLOCK = -BigInt(Errno.ERESTART_RESTARTBLOCK);
const EINTR = -BigInt(Errno.EINTR);

function decide(state: SyscallRestartState, kind: SyscallRestartKind): SyscallRestartDecision {
  const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
  switch (kind) {
    case 'none':
      return { kind, rax: u64(state.rax), rip: u64(state.rip) };
    case 'eintr':
      return { kind, rax: u64(EINTR), rip: u64(state.rip) };
    case 'restart':
      return { kind, rax: u64(state.origRax), rip: u64(state.rip - BigInt(SYSCALL_INSN_SIZE)) };
    case 'restart_syscall':
      return { kind, rax: BigInt(SYS.restart_syscall), rip: u64(state.rip - BigInt(SYSCALL_INSN_SIZE)) };
  }
}

function fromSyscall(state: SyscallRestartState): bigint | null {
  if (BigInt.asIntN(64, state.origRax) === -1n) return null;
  return BigInt.asIntN(64, state.rax);
}

/**
 * The fix-up before a handler with `saFlags` runs for a signal that
 * interrupted a syscall (signal(7)): ERESTARTNOHAND and
 * ERESTART_RESTARTBLOCK become EINTR; ERESTARTSYS restarts with SA_RESTART
 * and is EINTR without; ERESTARTNOINTR always restarts. Apply it before
 * buildSignalFrame so the frame saves the fixed registers.
 */
export function syscallRestartForHandler(state: SyscallRestartState, saFlags: number): SyscallRestartDecision {
  const result = fromSyscall(state);
  switch (result) {
    case ERESTART_RESTARTBLOCK:
    case ERESTARTNOHAND:
      return decide(state, 'eintr');
    case ERESTARTSYS:
      return decide(state, (saFlags & SA.RESTART) !== 0 ? 'restart' : 'eintr');
    case ERESTARTNOINTR:
      return decide(state, 'restart');
    default:
      return decide(state, 'none');
  }
}

/**
 * The fix-up when a syscall was interrupted but no handler runs (the signal
 * was ignored, stopped the thread, or was consumed by a tracer): every
 * restart code restarts, ERESTART_RESTARTBLOCK through restart_syscall(2).
 */
export function syscallRestartWithoutHandler(state: SyscallRestartState): SyscallRestartDecision {
  const result = fromSyscall(state);
  switch (result) {
    case ERESTARTNOHAND:
    case ERESTARTSYS:
    case ERESTARTNOINTR:
      return decide(state, 'restart');
    case ERESTART_RESTARTBLOCK:
      return decide(state, 'restart_syscall');
    default:
      return decide(state, 'none');
  }
}

/**
 * Applies the restart fix-up to a whole register set: with `saFlags` the
 * handler's flags (syscallRestartForHandler), or null when no handler runs
 * (syscallRestartWithoutHandler). Returns fresh registers; `regs` is not
 * modified.
 */
export function registersAfterSyscallRestart(regs: RegisterSource, saFlags: number | null): { regs: BigUint64Array; decision: SyscallRestartDecision } {
  const out = readGeneralRegisters(regs);
  const state: SyscallRestartState = { rax: out[GREG.rax], origRax: out[GREG.orig_rax], rip: out[GREG.rip] };
  const decision = saFlags === null ? syscallRestartWithoutHandler(state) : syscallRestartForHandler(state, saFlags);
  out[GREG.rax] = decision.rax;
  out[GREG.rip] = decision.rip;
  return { regs: out, decision };
}

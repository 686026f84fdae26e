/**
 * The ptrace operations only the ptrace platform needs (the rest are
 * @tvisor/platform-stub's), over fixed native buffers so the hot path
 * (waitpid, SYSEMU, GETSIGINFO) never allocates.
 */
import { Errno, NT, PTRACE, SysError } from '@tvisor/abi';
import { allocNative, ptraceOrThrow, waitOnce } from '@tvisor/platform-stub';
import { armWakeTimer, disarmWakeTimer } from './wake-timer.js';

/** Room for the XSAVE image PTRACE_GETREGSET(NT_X86_XSTATE) returns (the CPU's XSAVE size is below this). */
const XSTATE_CAPACITY = 16384;
const xstate = allocNative(XSTATE_CAPACITY);
const xstateIov = allocNative(16);
const xstateIovView = new DataView(xstateIov.bytes);

/** The thread's extended FP state (x87, SSE, AVX, ...) in the XSAVE format, copied out. */
export function getXState(pid: number): Uint8Array {
  xstateIovView.setBigUint64(0, xstate.address, true);
  xstateIovView.setBigUint64(8, BigInt(XSTATE_CAPACITY), true);
  ptraceOrThrow(PTRACE.GETREGSET, pid, NT.X86_XSTATE, xstateIov.address, 'PTRACE_GETREGSET');
  const len = Number(xstateIovView.getBigUint64(8, true));
  return new Uint8Array(xstate.bytes, 0, len).slice();
}

/** Sets the thread's extended FP state from an XSAVE image. */
export function setXState(pid: number, image: Uint8Array): void {
  if (image.length > XSTATE_CAPACITY) throw new SysError(Errno.EINVAL, 'XSAVE image too large');
  new Uint8Array(xstate.bytes, 0, image.length).set(image);
  xstateIovView.setBigUint64(0, xstate.address, true);
  xstateIovView.setBigUint64(8, BigInt(image.length), true);
  ptraceOrThrow(PTRACE.SETREGSET, pid, NT.X86_XSTATE, xstateIov.address, 'PTRACE_SETREGSET');
}

/** Size of siginfo_t. */
export const SIGINFO_SIZE = 128;

const siginfo = allocNative(SIGINFO_SIZE);
const siginfoView = new DataView(siginfo.bytes);

/** Resumes with PTRACE_SYSEMU: the next syscall stops before the host runs it. */
export function sysemu(pid: number, sig = 0): void {
  ptraceOrThrow(PTRACE.SYSEMU, pid, 0, sig, 'PTRACE_SYSEMU');
}

/** The stopped tracee's pending siginfo: signal, code and fault address. */
export function getSigInfo(pid: number): { signo: number; code: number; addr: number; exactAddr: bigint } {
  ptraceOrThrow(PTRACE.GETSIGINFO, pid, 0, siginfo.address, 'PTRACE_GETSIGINFO');
  const exactAddr = siginfoView.getBigUint64(16, true);
  return {
    signo: siginfoView.getInt32(0, true),
    code: siginfoView.getInt32(8, true),
    addr: Number(exactAddr),
    // si_addr (si_call_addr for SIGSYS) to the bit: the vsyscall page lies above 2^53.
    exactAddr,
  };
}

/**
 * waitpid(2) as platform-stub's `wait`, except that a host signal whose
 * handler does not restart syscalls (one runsc forwards) ends it:
 * undefined, so the caller lets the event loop run the signal's listener;
 * so does `timeoutMs` passing (see wake-timer.ts). Only the wait for
 * application stops wants that; a wait inside a stub's set-up or an
 * injection must go on, or a live stub would be taken for a dead one.
 */
export function waitInterruptibly(pid: number, options: number, timeoutMs?: number): [number, number] | undefined {
  // Given a timeout, a blocking wait ends (undefined) after it at the latest.
  const timed = timeoutMs !== undefined && armWakeTimer(timeoutMs);
  try {
    return waitOnce(pid, options);
  } finally {
    if (timed) disarmWakeTimer();
  }
}

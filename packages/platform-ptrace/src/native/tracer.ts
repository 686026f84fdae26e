/**
 * The ptrace operations the platform needs, over fixed native buffers: one
 * register block per context and one status word, so the hot path
 * (waitpid, GETREGS, SETREGS, SYSEMU) never allocates.
 */
import { Errno, NT, PTRACE, SysError } from '@tvisor/abi';
import { allocNative, errno, ptrace, waitpid, type NativeBuffer } from './libc.js';
import { armWakeTimer, disarmWakeTimer } from './wake-timer.js';

export { allocNative, type NativeBuffer };

/** Room for the XSAVE image PTRACE_GETREGSET(NT_X86_XSTATE) returns (the CPU's XSAVE size is below this). */
const XSTATE_CAPACITY = 16384;
const xstate = allocNative(XSTATE_CAPACITY);
const xstateIov = allocNative(16);
const xstateIovView = new DataView(xstateIov.bytes);

/** The thread's extended FP state (x87, SSE, AVX, ...) in the XSAVE format, copied out. */
export function getXState(pid: number): Uint8Array {
  xstateIovView.setBigUint64(0, xstate.address, true);
  xstateIovView.setBigUint64(8, BigInt(XSTATE_CAPACITY), true);
  check(ptrace(PTRACE.GETREGSET, pid, NT.X86_XSTATE, xstateIov.address), 'PTRACE_GETREGSET', pid);
  const len = Number(xstateIovView.getBigUint64(8, true));
  return new Uint8Array(xstate.bytes, 0, len).slice();
}

/** Sets the thread's extended FP state from an XSAVE image. */
export function setXState(pid: number, image: Uint8Array): void {
  if (image.length > XSTATE_CAPACITY) throw new SysError(Errno.EINVAL, 'XSAVE image too large');
  new Uint8Array(xstate.bytes, 0, image.length).set(image);
  xstateIovView.setBigUint64(0, xstate.address, true);
  xstateIovView.setBigUint64(8, BigInt(image.length), true);
  check(ptrace(PTRACE.SETREGSET, pid, NT.X86_XSTATE, xstateIov.address), 'PTRACE_SETREGSET', pid);
}

/** Size of siginfo_t. */
export const SIGINFO_SIZE = 128;

const status = allocNative(8);
const statusWord = new Int32Array(status.bytes, 0, 1);
const siginfo = allocNative(SIGINFO_SIZE);
const siginfoView = new DataView(siginfo.bytes);

function check(rc: number, what: string, pid: number): void {
  if (rc === -1) {
    const e = errno();
    throw new SysError(e || Errno.EIO, `${what} (pid ${pid})`);
  }
}

export function getRegs(pid: number, regs: NativeBuffer): void {
  check(ptrace(PTRACE.GETREGS, pid, 0, regs.address), 'PTRACE_GETREGS', pid);
}

export function setRegs(pid: number, regs: NativeBuffer): void {
  check(ptrace(PTRACE.SETREGS, pid, 0, regs.address), 'PTRACE_SETREGS', pid);
}

/** Resumes with PTRACE_SYSEMU: the next syscall stops before the host runs it. */
export function sysemu(pid: number, sig = 0): void {
  check(ptrace(PTRACE.SYSEMU, pid, 0, sig), 'PTRACE_SYSEMU', pid);
}

/** Resumes with PTRACE_CONT: syscalls run on the host (only for injected ones). */
export function cont(pid: number, sig = 0): void {
  check(ptrace(PTRACE.CONT, pid, 0, sig), 'PTRACE_CONT', pid);
}

export function setOptions(pid: number, options: number): void {
  check(ptrace(PTRACE.SETOPTIONS, pid, 0, options), 'PTRACE_SETOPTIONS', pid);
}

const eventMsg = allocNative(8);
const eventMsgView = new DataView(eventMsg.bytes);

/** PTRACE_GETEVENTMSG: e.g. the new thread's tid at a PTRACE_EVENT_CLONE stop. */
export function getEventMsg(pid: number): number {
  check(ptrace(PTRACE.GETEVENTMSG, pid, 0, eventMsg.address), 'PTRACE_GETEVENTMSG', pid);
  return Number(eventMsgView.getBigUint64(0, true));
}

/** The stopped tracee's pending siginfo: signal, code and fault address. */
export function getSigInfo(pid: number): { signo: number; code: number; addr: number } {
  check(ptrace(PTRACE.GETSIGINFO, pid, 0, siginfo.address), 'PTRACE_GETSIGINFO', pid);
  return {
    signo: siginfoView.getInt32(0, true),
    code: siginfoView.getInt32(8, true),
    addr: Number(siginfoView.getBigUint64(16, true)),
  };
}

/**
 * waitpid(2); returns [pid, status], or [0, 0] when WNOHANG found nothing.
 * Retries on EINTR.
 */
export function wait(pid: number, options: number): [number, number] {
  for (;;) {
    const r = waitInterruptibly(pid, options);
    if (r !== undefined) return r;
  }
}

/**
 * waitpid(2) as `wait`, except that a host signal whose handler does not
 * restart syscalls (one runsc forwards) ends it: undefined, so the caller
 * lets the event loop run the signal's listener; so does `timeoutMs`
 * passing (see wake-timer.ts). Only the wait for
 * application stops wants that; a wait inside a stub's set-up or an
 * injection must go on, or a live stub would be taken for a dead one.
 */
export function waitInterruptibly(pid: number, options: number, timeoutMs?: number): [number, number] | undefined {
  // Given a timeout, a blocking wait ends (undefined) after it at the latest.
  const timed = timeoutMs !== undefined && armWakeTimer(timeoutMs);
  const rc = waitpid(pid, status.address, options);
  if (timed) disarmWakeTimer();
  if (rc >= 0) return [rc, statusWord[0]];
  const e = errno();
  if (e === Errno.EINTR) return undefined;
  throw new SysError(e, `waitpid(${pid})`);
}

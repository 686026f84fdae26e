/**
 * The ptrace requests both stub platforms make, over fixed native buffers
 * (one status word, one event message), so none of them allocates.
 */
import { Errno, PTRACE, SysError } from '@tvisor/abi';
import { allocNative, errno, ptrace, waitpid, type NativeBuffer } from './libc.js';

const status = allocNative(8);
const statusWord = new Int32Array(status.bytes, 0, 1);
const eventMsg = allocNative(8);
const eventMsgView = new DataView(eventMsg.bytes);

/** ptrace(request, pid, addr, data), throwing the host's errno (EIO if it gave none) with `name` on failure. */
export function ptraceOrThrow(request: number, pid: number, addr: number | bigint, data: number | bigint, name: string): void {
  if (ptrace(request, pid, addr, data) === -1) {
    const e = errno();
    throw new SysError(e || Errno.EIO, `${name} (pid ${pid})`);
  }
}

export function getRegs(pid: number, regs: NativeBuffer): void {
  ptraceOrThrow(PTRACE.GETREGS, pid, 0, regs.address, 'PTRACE_GETREGS');
}

export function setRegs(pid: number, regs: NativeBuffer): void {
  ptraceOrThrow(PTRACE.SETREGS, pid, 0, regs.address, 'PTRACE_SETREGS');
}

/** Resumes with PTRACE_CONT: syscalls run on the host (only for injected ones). */
export function cont(pid: number, sig = 0): void {
  ptraceOrThrow(PTRACE.CONT, pid, 0, sig, 'PTRACE_CONT');
}

export function setOptions(pid: number, options: number): void {
  ptraceOrThrow(PTRACE.SETOPTIONS, pid, 0, options, 'PTRACE_SETOPTIONS');
}

/** PTRACE_DETACH: the thread runs on, untraced, from its current registers. */
export function detach(pid: number): void {
  ptraceOrThrow(PTRACE.DETACH, pid, 0, 0, 'PTRACE_DETACH');
}

/** PTRACE_GETEVENTMSG: e.g. the new thread's tid at a PTRACE_EVENT_CLONE stop. */
export function getEventMsg(pid: number): number {
  ptraceOrThrow(PTRACE.GETEVENTMSG, pid, 0, eventMsg.address, 'PTRACE_GETEVENTMSG');
  return Number(eventMsgView.getBigUint64(0, true));
}

/**
 * One waitpid(2): [pid, status], [0, 0] when WNOHANG found nothing, or
 * undefined when a host signal whose handler does not restart syscalls
 * (one runsc forwards, or a platform's wake-up timer) interrupted it (EINTR).
 * Any other failure throws its errno.
 */
export function waitOnce(pid: number, options: number): [number, number] | undefined {
  const rc = waitpid(pid, status.address, options);
  if (rc >= 0) return [rc, statusWord[0]];
  const e = errno();
  if (e === Errno.EINTR) return undefined;
  throw new SysError(e, `waitpid(${pid})`);
}

/**
 * waitpid(2); returns [pid, status], or [0, 0] when WNOHANG found nothing.
 * Retries on EINTR: a wait inside a stub's set-up or an injection must go
 * on, or a live stub would be taken for a dead one.
 */
export function wait(pid: number, options: number): [number, number] {
  for (;;) {
    const r = waitOnce(pid, options);
    if (r !== undefined) return r;
  }
}

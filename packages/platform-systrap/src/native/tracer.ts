/**
 * The ptrace operations the systrap platform needs to set a stub up (inject
 * its set-up syscalls, then detach) and waitpid for reaping stubs. None of
 * them is on the syscall path.
 */
import { Errno, PTRACE, SysError } from '@tvisor/abi';
import { allocNative, errno, ptrace, waitpid, type NativeBuffer } from './libc.js';

export { allocNative, type NativeBuffer };

const status = allocNative(8);
const statusWord = new Int32Array(status.bytes, 0, 1);

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

/** Resumes with PTRACE_CONT: syscalls run on the host (only for injected ones). */
export function cont(pid: number, sig = 0): void {
  check(ptrace(PTRACE.CONT, pid, 0, sig), 'PTRACE_CONT', pid);
}

export function setOptions(pid: number, options: number): void {
  check(ptrace(PTRACE.SETOPTIONS, pid, 0, options), 'PTRACE_SETOPTIONS', pid);
}

/** PTRACE_DETACH: the thread runs on, untraced, from its current registers. */
export function detach(pid: number): void {
  check(ptrace(PTRACE.DETACH, pid, 0, 0), 'PTRACE_DETACH', pid);
}

/**
 * waitpid(2); returns [pid, status], or [0, 0] when WNOHANG found nothing.
 * Retries on EINTR.
 */
export function wait(pid: number, options: number): [number, number] {
  for (;;) {
    const rc = waitpid(pid, status.address, options);
    if (rc >= 0) return [rc, statusWord[0]];
    const e = errno();
    // A host signal whose handler does not restart syscalls (one runsc
    // forwards) interrupted the wait: the stub's set-up goes on regardless.
    if (e !== Errno.EINTR) throw new SysError(e, `waitpid(${pid})`);
  }
}

import { AUDIT_ARCH_X86_64, BPF, SECCOMP_RET, SYS, VSYSCALL_ADDR } from '@tvisor/abi';

/**
 * The seccomp filter every stub runs under once it is set up: the only
 * host syscalls a stub may ever execute are the ones the sentry injects.
 * Application syscalls never reach it (PTRACE_SYSEMU skips them before
 * seccomp runs); it is the second wall, for the day a bug lets a stub run
 * something else: then the host kills the stub, and the app with it.
 */
export const STUB_ALLOWED_SYSCALLS: readonly number[] = [SYS.mmap, SYS.munmap, SYS.mprotect, SYS.clone, SYS.exit];

/** struct seccomp_data offsets (linux/seccomp.h); checked by a test. */
const DATA_NR = 0;
const DATA_ARCH = 4;
const DATA_IP_LOW = 8;
const DATA_IP_HIGH = 12;

const PAGE_MASK = 0xfffff000;

/**
 * The filter as struct sock_filter[] bytes (8 bytes per instruction).
 *
 * One exception to the kill: a call into the legacy vsyscall page. The host
 * emulates it (vsyscall=xonly) by running this filter for the syscall the
 * entry stands for, with the entry as the instruction pointer; the filter
 * traps it (SIGSYS), and the platform hands it to the kernel, which serves
 * it as the application's call (see PtracePlatform's collect).
 */
export function buildStubFilter(): Uint8Array {
  const insns: Array<[code: number, jt: number, jf: number, k: number]> = [];
  const n = STUB_ALLOWED_SYSCALLS.length;
  insns.push([BPF.LD | BPF.W | BPF.ABS, 0, 0, DATA_ARCH]);
  insns.push([BPF.JMP | BPF.JEQ | BPF.K, 1, 0, AUDIT_ARCH_X86_64]);
  insns.push([BPF.RET | BPF.K, 0, 0, SECCOMP_RET.KILL_PROCESS]);
  insns.push([BPF.LD | BPF.W | BPF.ABS, 0, 0, DATA_NR]);
  STUB_ALLOWED_SYSCALLS.forEach((nr, i) => {
    // On a match, jump over the remaining comparisons and the vsyscall test to the allow.
    insns.push([BPF.JMP | BPF.JEQ | BPF.K, n - i - 1 + 7, 0, nr]);
  });
  // The instruction pointer in the vsyscall page: trap; anywhere else: kill.
  insns.push([BPF.LD | BPF.W | BPF.ABS, 0, 0, DATA_IP_HIGH]);
  insns.push([BPF.JMP | BPF.JEQ | BPF.K, 0, 3, Number(VSYSCALL_ADDR >> 32n)]);
  insns.push([BPF.LD | BPF.W | BPF.ABS, 0, 0, DATA_IP_LOW]);
  insns.push([BPF.ALU | BPF.AND | BPF.K, 0, 0, PAGE_MASK]);
  insns.push([BPF.JMP | BPF.JEQ | BPF.K, 1, 0, Number(VSYSCALL_ADDR & 0xffffffffn)]);
  insns.push([BPF.RET | BPF.K, 0, 0, SECCOMP_RET.KILL_PROCESS]);
  insns.push([BPF.RET | BPF.K, 0, 0, SECCOMP_RET.TRAP]);
  insns.push([BPF.RET | BPF.K, 0, 0, SECCOMP_RET.ALLOW]);
  const out = new Uint8Array(insns.length * 8);
  const v = new DataView(out.buffer);
  insns.forEach(([code, jt, jf, k], i) => {
    v.setUint16(i * 8, code, true);
    v.setUint8(i * 8 + 2, jt);
    v.setUint8(i * 8 + 3, jf);
    v.setUint32(i * 8 + 4, k >>> 0, true);
  });
  return out;
}

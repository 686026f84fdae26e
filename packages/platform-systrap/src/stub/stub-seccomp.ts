import { ARCH, AUDIT_ARCH_X86_64, BPF, CLONE, SECCOMP_RET, SYS, SeccompData } from '@tvisor/abi';
import { STUB_BASE, STUB_CODE_START } from '@tvisor/platform-stub';
import { STUB_CODE_END } from './stub-image.js';

/**
 * The seccomp filter every systrap stub runs under once it is set up.
 *
 * A syscall made anywhere but the stub's own code is the application's: the
 * filter answers SECCOMP_RET_TRAP, so the host runs nothing and the stub's
 * SIGSYS handler hands it to the sentry. From the stub's code, only the
 * host syscalls the message protocol needs pass, each harmless with any
 * arguments the application could forge by jumping there (it controls every
 * register and the stub's memory): futex on its own memory, rt_sigreturn,
 * rt_sigprocmask and sigaltstack (its own thread's signal state), munmap
 * (its own address space), mprotect below STUB_BASE (application memory:
 * the stub's code page can never be made writable, so the code that runs
 * in a batch is the stub's own), close (its own fds), exit of one thread,
 * and arch_prctl with the one first argument the stub uses.
 *
 * mmap is the exception: with the memory-file fd it could map any page of
 * any process of the sandbox. An mmap of fd STUB_WINDOW_FD passes: that fd
 * exists only inside a batch the sentry runs while every thread of the stub
 * is stopped in its handler (no application code runs anywhere in the
 * stub), installed at the batch's start by a held dup the sentry answers
 * with SECCOMP_IOCTL_NOTIF_ADDFD and closed by the batch's last entry. Any
 * other mmap, every dup, and clone with the stub's thread flags are held
 * for the sentry (SECCOMP_RET_USER_NOTIF), which lets through only the
 * exact calls it ordered, from the thread it ordered them on: so the sentry
 * knows every thread of the stub. Anything else kills the stub, and with it
 * the application.
 */
export const STUB_ALLOWED_SYSCALLS: readonly number[] = [SYS.futex, SYS.rt_sigreturn, SYS.rt_sigprocmask, SYS.sigaltstack, SYS.munmap, SYS.close, SYS.exit];

/** The stub's host syscalls the sentry checks one by one (SECCOMP_RET_USER_NOTIF): mmap but of the window fd, dup (which gets the window fd), clone (a new stub thread). */
export const STUB_HELD_SYSCALLS: readonly number[] = [SYS.mmap, SYS.dup, SYS.clone];

/** The fd a batch maps the memory file through while every thread of the stub is stopped (see above); closed at the batch's end. */
export const STUB_WINDOW_FD = 4;

/** mprotect from the stub's code must end at or below this: the stub's own pages (code, slots) are out of its reach. */
const MPROTECT_END = STUB_BASE;
/** Longest mprotect the filter lets through (the range check is done on 32-bit halves): the sentry splits longer ones. */
export const STUB_MPROTECT_MAX = 0x8000_0000;

/** The clone flags of a new stub thread (stub.S's do_clone): the only first argument clone may have. */
export const STUB_THREAD_CLONE_FLAGS = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD | CLONE.SYSVSEM;

const field = (name: string): number => {
  const f = SeccompData.fields.find((x) => x.name === name);
  if (!f) throw new Error(`struct seccomp_data has no ${name}`);
  return f.offset;
};
const DATA_NR = field('nr');
const DATA_ARCH = field('arch');
const DATA_IP = field('instruction_pointer');
const DATA_ARG0 = field('args');
const DATA_ARG1 = DATA_ARG0 + 8;
const DATA_ARG4 = DATA_ARG0 + 32;

type Target = number | string;
interface Insn {
  code: number;
  k: number;
  jt?: Target;
  jf?: Target;
  label?: string;
}

const TWO32 = 0x1_0000_0000;

/** The filter as struct sock_filter[] bytes (8 bytes per instruction). */
export function buildStubFilter(): Uint8Array {
  const ld = (offset: number, label?: string): Insn => ({ code: BPF.LD | BPF.W | BPF.ABS, k: offset, label });
  const jeq = (k: number, jt: Target, jf: Target): Insn => ({ code: BPF.JMP | BPF.JEQ | BPF.K, k, jt, jf });
  const jge = (k: number, jt: Target, jf: Target): Insn => ({ code: BPF.JMP | BPF.JGE | BPF.K, k, jt, jf });
  const jgt = (k: number, jt: Target, jf: Target): Insn => ({ code: BPF.JMP | BPF.JGT | BPF.K, k, jt, jf });
  const ret = (k: number, label: string): Insn => ({ code: BPF.RET | BPF.K, k, label });
  const imm = (k: number): Insn => ({ code: BPF.LD | BPF.W | BPF.IMM, k });
  const tax = (): Insn => ({ code: BPF.MISC | BPF.TAX, k: 0 });
  const subX = (): Insn => ({ code: BPF.ALU | BPF.SUB | BPF.X, k: 0 });
  const jgtX = (jt: Target, jf: Target): Insn => ({ code: BPF.JMP | BPF.JGT | BPF.X, k: 0, jt, jf });
  const endHigh = Math.floor(MPROTECT_END / TWO32);
  const endLow = MPROTECT_END % TWO32;
  // The instruction pointer seccomp sees is the one after the syscall
  // instruction (2 bytes): stub syscalls have it in [start + 2, end].
  const first = STUB_CODE_START + 2;
  const codeHigh = Math.floor(first / TWO32);
  if (Math.floor(STUB_CODE_END / TWO32) !== codeHigh) throw new Error('the stub code crosses a 4 GiB boundary');
  const prog: Insn[] = [
    ld(DATA_ARCH),
    jeq(AUDIT_ARCH_X86_64, 0, 'kill'),
    ld(DATA_IP + 4),
    jeq(codeHigh, 0, 'trap'),
    ld(DATA_IP),
    jge(first % TWO32, 0, 'trap'),
    jgt(STUB_CODE_END % TWO32, 'trap', 0),
    ld(DATA_NR),
    ...STUB_ALLOWED_SYSCALLS.map((nr) => jeq(nr, 'allow', 0)),
    jeq(SYS.mmap, 'mmap', 0),
    jeq(SYS.dup, 'hold', 0),
    jeq(SYS.mprotect, 'mprotect', 0),
    jeq(SYS.clone, 'clone', 0),
    jeq(SYS.arch_prctl, 'arch_prctl', 'kill'),
    // mmap: of the window fd, through; else held.
    ld(DATA_ARG4, 'mmap'),
    jeq(STUB_WINDOW_FD, 0, 'hold'),
    ld(DATA_ARG4 + 4),
    jeq(0, 'allow', 'hold'),
    // mprotect: a length under 2 GiB, and addr + length <= MPROTECT_END.
    ld(DATA_ARG1 + 4, 'mprotect'),
    jeq(0, 0, 'kill'),
    ld(DATA_ARG1),
    jge(STUB_MPROTECT_MAX, 'kill', 0),
    ld(DATA_ARG0 + 4),
    jgt(endHigh, 'kill', 0),
    jeq(endHigh, 0, 'allow'),
    // In the top 4 GiB: the start's low half at most endLow - length (no wrap: length < 2 GiB < endLow).
    ld(DATA_ARG1),
    tax(),
    imm(endLow),
    subX(),
    tax(),
    ld(DATA_ARG0),
    jgtX('kill', 'allow'),
    ld(DATA_ARG0, 'clone'),
    jeq(STUB_THREAD_CLONE_FLAGS, 0, 'kill'),
    ld(DATA_ARG0 + 4),
    jeq(0, 'hold', 'kill'),
    ld(DATA_ARG0, 'arch_prctl'),
    jeq(ARCH.SET_FS, 'arg0_high', 'kill'),
    ld(DATA_ARG0 + 4, 'arg0_high'),
    jeq(0, 'allow', 'kill'),
    ret(SECCOMP_RET.KILL_PROCESS, 'kill'),
    ret(SECCOMP_RET.TRAP, 'trap'),
    ret(SECCOMP_RET.ALLOW, 'allow'),
    ret(SECCOMP_RET.USER_NOTIF, 'hold'),
  ];
  const labels = new Map<string, number>();
  prog.forEach((insn, i) => insn.label !== undefined && labels.set(insn.label, i));
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  prog.forEach((insn, i) => {
    const rel = (t: Target | undefined): number => {
      if (t === undefined) return 0;
      if (typeof t === 'number') return t;
      const at = labels.get(t);
      if (at === undefined || at <= i || at - i - 1 > 255) throw new Error(`bad BPF jump to ${t}`);
      return at - i - 1;
    };
    v.setUint16(i * 8, insn.code, true);
    v.setUint8(i * 8 + 2, rel(insn.jt));
    v.setUint8(i * 8 + 3, rel(insn.jf));
    v.setUint32(i * 8 + 4, insn.k >>> 0, true);
  });
  return out;
}

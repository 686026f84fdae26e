import { USER_REGS } from '@tvisor/abi';

/**
 * The x86-64 general registers of one application thread, as Linux lays out
 * `struct user_regs_struct` (27 eight-byte slots). A platform owns the storage
 * (for ptrace, native memory that PTRACE_GETREGS fills) and the kernel reads
 * and writes it in place, so a syscall never allocates to look at its
 * arguments.
 *
 * Values are handled as numbers: user addresses and sizes fit in 2^53. The
 * 64-bit views (`getBig`/`setBig`) are there for the rare values that do not.
 *
 * `REG` gives each register's index in 8-byte words, from the byte offsets
 * `@tvisor/abi` checks against the host's <sys/user.h>.
 */
export const REG = {
  r15: USER_REGS.R15 / 8,
  r14: USER_REGS.R14 / 8,
  r13: USER_REGS.R13 / 8,
  r12: USER_REGS.R12 / 8,
  rbp: USER_REGS.RBP / 8,
  rbx: USER_REGS.RBX / 8,
  r11: USER_REGS.R11 / 8,
  r10: USER_REGS.R10 / 8,
  r9: USER_REGS.R9 / 8,
  r8: USER_REGS.R8 / 8,
  rax: USER_REGS.RAX / 8,
  rcx: USER_REGS.RCX / 8,
  rdx: USER_REGS.RDX / 8,
  rsi: USER_REGS.RSI / 8,
  rdi: USER_REGS.RDI / 8,
  orig_rax: USER_REGS.ORIG_RAX / 8,
  rip: USER_REGS.RIP / 8,
  cs: USER_REGS.CS / 8,
  eflags: USER_REGS.EFLAGS / 8,
  rsp: USER_REGS.RSP / 8,
  ss: USER_REGS.SS / 8,
  fs_base: USER_REGS.FS_BASE / 8,
  gs_base: USER_REGS.GS_BASE / 8,
  ds: USER_REGS.DS / 8,
  es: USER_REGS.ES / 8,
  fs: USER_REGS.FS / 8,
  gs: USER_REGS.GS / 8,
} as const;
export type RegName = keyof typeof REG;

/** Size in bytes of `struct user_regs_struct`. */
export const USER_REGS_SIZE: number = USER_REGS.SIZE;

/** The six syscall argument registers, in the order of the x86-64 syscall ABI. */
const SYSCALL_ARG_REGS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;

const TWO32 = 0x1_0000_0000;

/**
 * A view of one register file in caller-owned memory. The platform creates it
 * over its own buffer; the kernel reads and writes through it while the
 * context is stopped, and the platform writes it back on resume. Never
 * throws: indices are `REG` values, out of range is a programming error.
 */
export class Registers {
  private readonly words: Uint32Array;

  /** A view of the USER_REGS_SIZE bytes of `buffer` from `byteOffset` (which must be 4-byte aligned). */
  constructor(buffer: ArrayBuffer, byteOffset = 0) {
    this.words = new Uint32Array(buffer, byteOffset, USER_REGS_SIZE / 4);
  }

  /** The register as an unsigned 64-bit value (exact below 2^53). */
  get(reg: number): number {
    const w = this.words;
    return w[reg * 2] + w[reg * 2 + 1] * TWO32;
  }

  /** The register as a signed 64-bit value (exact within +-2^53). */
  getSigned(reg: number): number {
    const w = this.words;
    const hi = w[reg * 2 + 1] | 0;
    return hi * TWO32 + w[reg * 2];
  }

  /** The low 32 bits as a signed int (C `int` arguments). */
  getInt32(reg: number): number {
    return this.words[reg * 2] | 0;
  }

  /** The low 32 bits as an unsigned int (C `unsigned int` arguments and flags). */
  getUint32(reg: number): number {
    return this.words[reg * 2];
  }

  /** The register as an exact unsigned 64-bit bigint (for values beyond 2^53). */
  getBig(reg: number): bigint {
    return (BigInt(this.words[reg * 2 + 1]) << 32n) | BigInt(this.words[reg * 2]);
  }

  /** Stores a (possibly negative) integer as its 64-bit two's complement. */
  set(reg: number, value: number): void {
    const w = this.words;
    if (value >= 0) {
      w[reg * 2] = value >>> 0;
      w[reg * 2 + 1] = Math.floor(value / TWO32) >>> 0;
    } else {
      const lo = value % TWO32;
      w[reg * 2] = lo >>> 0;
      w[reg * 2 + 1] = Math.floor(value / TWO32) >>> 0;
    }
  }

  /** Stores `value` modulo 2^64 (negative values as two's complement). */
  setBig(reg: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.words[reg * 2] = Number(v & 0xffff_ffffn);
    this.words[reg * 2 + 1] = Number(v >> 32n);
  }

  /** Syscall number at a syscall stop (orig_rax keeps it; rax is clobbered). */
  get syscallNumber(): number {
    return this.getSigned(REG.orig_rax);
  }

  /** Syscall argument i (0..5) as an unsigned 64-bit number. */
  arg(i: number): number {
    return this.get(SYSCALL_ARG_REGS[i]);
  }

  /** Syscall argument i as a signed 64-bit number. */
  argSigned(i: number): number {
    return this.getSigned(SYSCALL_ARG_REGS[i]);
  }

  /** Syscall argument i as a C int. */
  argInt(i: number): number {
    return this.words[SYSCALL_ARG_REGS[i] * 2] | 0;
  }

  /** Syscall argument i as a C unsigned int. */
  argUint(i: number): number {
    return this.words[SYSCALL_ARG_REGS[i] * 2];
  }

  /** Syscall argument i as an exact unsigned 64-bit bigint. */
  argBig(i: number): bigint {
    return this.getBig(SYSCALL_ARG_REGS[i]);
  }

  /** Replaces syscall argument i (e.g. when the kernel restarts a syscall with new arguments). */
  setArg(i: number, value: number): void {
    this.set(SYSCALL_ARG_REGS[i], value);
  }

  /** Sets the syscall return value (rax); a negative errno is -errno. */
  setReturn(value: number): void {
    this.set(REG.rax, value);
  }

  /** The instruction pointer (rip). */
  get ip(): number {
    return this.get(REG.rip);
  }
  set ip(v: number) {
    this.set(REG.rip, v);
  }
  /** The stack pointer (rsp). */
  get sp(): number {
    return this.get(REG.rsp);
  }
  set sp(v: number) {
    this.set(REG.rsp, v);
  }

  /** Copies all registers from another set (e.g. to save and restore around an injection). */
  copyFrom(other: Registers): void {
    this.words.set(other.words);
  }

  /** A detached copy of the raw words, for saving state (signal frames, fork). */
  snapshot(): Uint32Array {
    return this.words.slice();
  }

  /** Puts back a `snapshot`. */
  restore(words: Uint32Array): void {
    this.words.set(words);
  }
}

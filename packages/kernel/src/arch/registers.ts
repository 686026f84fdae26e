/**
 * The x86-64 general registers of one application thread, as Linux lays out
 * `struct user_regs_struct` (27 eight-byte slots). A platform owns the storage
 * (for ptrace, native memory that PTRACE_GETREGS fills) and the kernel reads
 * and writes it in place, so a syscall never allocates to look at its
 * arguments.
 *
 * Values are handled as numbers: user addresses and sizes fit in 2^53. The
 * 64-bit views (`getBig`/`setBig`) are there for the rare values that do not.
 */
export const REG = {
  r15: 0, r14: 1, r13: 2, r12: 3, rbp: 4, rbx: 5, r11: 6, r10: 7, r9: 8, r8: 9,
  rax: 10, rcx: 11, rdx: 12, rsi: 13, rdi: 14, orig_rax: 15, rip: 16, cs: 17,
  eflags: 18, rsp: 19, ss: 20, fs_base: 21, gs_base: 22, ds: 23, es: 24, fs: 25, gs: 26,
} as const;
export type RegName = keyof typeof REG;

/** Size in bytes of `struct user_regs_struct`. */
export const USER_REGS_SIZE = 27 * 8;

/** The six syscall argument registers, in the order of the x86-64 syscall ABI. */
const SYSCALL_ARG_REGS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;

const TWO32 = 0x1_0000_0000;

export class Registers {
  private readonly words: Uint32Array;

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
      w[reg * 2 + 1] = (Math.floor(value / TWO32)) >>> 0;
    }
  }

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

  argBig(i: number): bigint {
    return this.getBig(SYSCALL_ARG_REGS[i]);
  }

  setArg(i: number, value: number): void {
    this.set(SYSCALL_ARG_REGS[i], value);
  }

  /** Sets the syscall return value (rax); a negative errno is -errno. */
  setReturn(value: number): void {
    this.set(REG.rax, value);
  }

  get ip(): number { return this.get(REG.rip); }
  set ip(v: number) { this.set(REG.rip, v); }
  get sp(): number { return this.get(REG.rsp); }
  set sp(v: number) { this.set(REG.rsp, v); }

  /** Copies all registers from another set (e.g. to save and restore around an injection). */
  copyFrom(other: Registers): void {
    this.words.set(other.words);
  }

  /** A detached copy of the raw words, for saving state (signal frames, fork). */
  snapshot(): Uint32Array {
    return this.words.slice();
  }

  restore(words: Uint32Array): void {
    this.words.set(words);
  }
}

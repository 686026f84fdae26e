import { USER_REGS } from '@tvisor/abi';

/**
 * Index of each general register in `struct user_regs_struct` (the order of
 * PTRACE_GETREGS), counted in 8-byte words.
 */
export const GREG = {
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

/** Number of 64-bit words in `struct user_regs_struct`. */
export const GREG_COUNT = USER_REGS.SIZE / 8;

/** Anything that can report register `index` (a GREG value) as an unsigned 64-bit value, e.g. the kernel's `Registers`. */
export interface RegisterReader {
  getBig(index: number): bigint;
}

/**
 * A thread's general registers in user_regs_struct order: 54 little-endian
 * 32-bit halves (the raw PTRACE_GETREGS buffer viewed as Uint32Array), 27
 * 64-bit words, or a reader.
 */
export type RegisterSource = Uint32Array | BigUint64Array | readonly bigint[] | RegisterReader;

/**
 * Copies `src` into a fresh 27-word array in user_regs_struct order.
 * Throws RangeError if an array source has the wrong length.
 */
export function readGeneralRegisters(src: RegisterSource): BigUint64Array {
  const out = new BigUint64Array(GREG_COUNT);
  if (src instanceof Uint32Array) {
    if (src.length !== GREG_COUNT * 2) throw new RangeError(`expected ${GREG_COUNT * 2} 32-bit words, got ${src.length}`);
    for (let i = 0; i < GREG_COUNT; i++) out[i] = (BigInt(src[2 * i + 1]) << 32n) | BigInt(src[2 * i]);
    return out;
  }
  if (src instanceof BigUint64Array || Array.isArray(src)) {
    const words = src as ArrayLike<bigint>;
    if (words.length !== GREG_COUNT) throw new RangeError(`expected ${GREG_COUNT} registers, got ${words.length}`);
    for (let i = 0; i < GREG_COUNT; i++) out[i] = BigInt.asUintN(64, words[i]);
    return out;
  }
  const reader = src as RegisterReader;
  for (let i = 0; i < GREG_COUNT; i++) out[i] = BigInt.asUintN(64, reader.getBig(i));
  return out;
}

/** Anything registers can be written back to, e.g. the kernel's `Registers` (`setBig`). */
export interface RegisterWriter {
  setBig(index: number, value: bigint): void;
}

/** Writes all 27 words of `regs` to `target` in user_regs_struct order. */
export function writeGeneralRegisters(target: RegisterWriter, regs: BigUint64Array): void {
  for (let i = 0; i < GREG_COUNT; i++) target.setBig(i, regs[i]);
}

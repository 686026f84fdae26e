import { USER_REGS } from '@tvisor/abi';
import { REG } from '@tvisor/platform';

/**
 * Index of each general register in `struct user_regs_struct` (the order of
 * PTRACE_GETREGS), counted in 8-byte words: the platform seam's register
 * layout, under the name the signal code uses.
 */
export const GREG = REG;

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

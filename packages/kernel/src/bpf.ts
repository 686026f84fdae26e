// Classic BPF (struct sock_filter programs): the checks Linux makes before
// accepting one (bpf_check_classic, with seccomp's narrower instruction set
// on top) and one interpreter for both seccomp filters and socket filters
// (SO_ATTACH_FILTER), which differ only in what a load reads.
import { BPF, Errno, SysError } from '@tvisor/abi';

/** One struct sock_filter: opcode, jump offsets if true/false, and the constant. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The scratch memory words a program may use (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

/** Decodes `count` struct sock_filter (8 bytes each: u16 code, u8 jt, u8 jf, u32 k). */
export function decodeBpfProgram(bytes: Uint8Array): BpfInstruction[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInstruction[] = [];
  for (let off = 0; off + 8 <= bytes.length; off += 8) {
    out.push({ code: view.getUint16(off, true), jt: view.getUint8(off + 2), jf: view.getUint8(off + 3), k: view.getUint32(off + 4, true) });
  }
  return out;
}

/** The inverse of decodeBpfProgram: struct sock_filter bytes. */
export function encodeBpfProgram(prog: readonly BpfInstruction[]): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  const view = new DataView(out.buffer);
  prog.forEach(({ code, jt, jf, k }, i) => {
    view.setUint16(i * 8, code, true);
    view.setUint8(i * 8 + 2, jt);
    view.setUint8(i * 8 + 3, jf);
    view.setUint32(i * 8 + 4, k, true);
  });
  return out;
}

const cls = (code: number): number => code & 0x07;

/** Every opcode classic BPF defines (bpf_check_classic's table); socket-only loads are included. */
const CLASSIC_OPCODES = new Set<number>([
  ...[BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.MOD, BPF.AND, BPF.OR, BPF.XOR, BPF.LSH, BPF.RSH].flatMap((op) => [BPF.ALU | op | BPF.K, BPF.ALU | op | BPF.X]),
  BPF.ALU | BPF.NEG,
  ...[BPF.W, BPF.H, BPF.B].flatMap((size) => [BPF.LD | size | BPF.ABS, BPF.LD | size | BPF.IND]),
  BPF.LD | BPF.W | BPF.LEN,
  BPF.LD | BPF.IMM,
  BPF.LD | BPF.MEM,
  BPF.LDX | BPF.W | BPF.LEN,
  BPF.LDX | BPF.B | BPF.MSH,
  BPF.LDX | BPF.IMM,
  BPF.LDX | BPF.MEM,
  BPF.ST,
  BPF.STX,
  BPF.MISC | BPF.TAX,
  BPF.MISC | BPF.TXA,
  BPF.RET | BPF.K,
  BPF.RET | BPF.A,
  BPF.JMP | BPF.JA,
  ...[BPF.JEQ, BPF.JGT, BPF.JGE, BPF.JSET].flatMap((op) => [BPF.JMP | op | BPF.K, BPF.JMP | op | BPF.X]),
]);

/** The subset seccomp accepts (seccomp_check_filter): no packet loads, no BPF_MOD, and 32-bit loads of seccomp_data only. */
const SECCOMP_OPCODES = new Set<number>(
  [...CLASSIC_OPCODES].filter((c) => {
    if (cls(c) === BPF.LD || cls(c) === BPF.LDX) {
      const mode = c & 0xe0;
      return mode === BPF.IMM || mode === BPF.MEM || mode === BPF.LEN || c === (BPF.LD | BPF.W | BPF.ABS);
    }
    return c !== (BPF.ALU | BPF.MOD | BPF.K) && c !== (BPF.ALU | BPF.MOD | BPF.X);
  }),
);

/**
 * Linux's check that no scratch word is read before every path to the read
 * has stored it (check_load_and_stores): forward jumps only, so one pass in
 * program order meets every predecessor first.
 */
function checkLoadsAfterStores(prog: readonly BpfInstruction[]): boolean {
  const all = (1 << BPF_MEMWORDS) - 1;
  const masks = new Array<number>(prog.length).fill(all);
  let valid = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    valid &= masks[pc]!;
    const { code, k, jt, jf } = prog[pc]!;
    switch (code) {
      case BPF.ST:
      case BPF.STX:
        valid |= 1 << k;
        break;
      case BPF.LD | BPF.MEM:
      case BPF.LDX | BPF.MEM:
        if (!(valid & (1 << k))) return false;
        break;
      case BPF.JMP | BPF.JA:
        masks[pc + 1 + k] = masks[pc + 1 + k]! & valid;
        valid = all;
        break;
      default:
        if (cls(code) === BPF.JMP) {
          masks[pc + 1 + jt] = masks[pc + 1 + jt]! & valid;
          masks[pc + 1 + jf] = masks[pc + 1 + jf]! & valid;
          valid = all;
        } else if (cls(code) === BPF.RET) {
          valid = all;
        }
    }
  }
  return true;
}

/**
 * Linux's bpf_check_classic (EINVAL on any fault): 1..BPF_MAXINSNS
 * instructions of opcodes in `opcodes`, no division by a constant 0, shifts
 * by less than 32, scratch words in range and stored before they are loaded,
 * jumps inside the program, a return last; `checkLoad` vets each BPF_LD|BPF_ABS.
 */
function validateClassic(prog: readonly BpfInstruction[], opcodes: ReadonlySet<number>, checkLoad: (k: number) => boolean): void {
  const len = prog.length;
  if (len === 0 || len > BPF.MAXINSNS) throw new SysError(Errno.EINVAL);
  for (let pc = 0; pc < len; pc++) {
    const { code, k, jt, jf } = prog[pc]!;
    if (!opcodes.has(code)) throw new SysError(Errno.EINVAL);
    switch (code) {
      case BPF.ALU | BPF.DIV | BPF.K:
      case BPF.ALU | BPF.MOD | BPF.K:
        if (k === 0) throw new SysError(Errno.EINVAL);
        break;
      case BPF.ALU | BPF.LSH | BPF.K:
      case BPF.ALU | BPF.RSH | BPF.K:
        if (k >= 32) throw new SysError(Errno.EINVAL);
        break;
      case BPF.LD | BPF.MEM:
      case BPF.LDX | BPF.MEM:
      case BPF.ST:
      case BPF.STX:
        if (k >= BPF_MEMWORDS) throw new SysError(Errno.EINVAL);
        break;
      case BPF.LD | BPF.W | BPF.ABS:
        if (!checkLoad(k)) throw new SysError(Errno.EINVAL);
        break;
      case BPF.JMP | BPF.JA:
        if (k >= len - pc - 1) throw new SysError(Errno.EINVAL);
        break;
      default:
        if (cls(code) === BPF.JMP && (pc + 1 + jt >= len || pc + 1 + jf >= len)) throw new SysError(Errno.EINVAL);
    }
  }
  if (cls(prog[len - 1]!.code) !== BPF.RET) throw new SysError(Errno.EINVAL);
  if (!checkLoadsAfterStores(prog)) throw new SysError(Errno.EINVAL);
}

/**
 * Checks a program as Linux checks a seccomp filter: bpf_check_classic with
 * seccomp's narrower instruction set, and loads from seccomp_data aligned
 * 32-bit words inside its `dataSize` bytes.
 */
export function validateSeccompProgram(prog: readonly BpfInstruction[], dataSize: number): void {
  validateClassic(prog, SECCOMP_OPCODES, (k) => k % 4 === 0 && k < dataSize);
}

/** Checks a socket filter (SO_ATTACH_FILTER) as Linux does: bpf_check_classic, every classic opcode allowed. */
export function validateSocketFilter(prog: readonly BpfInstruction[]): void {
  validateClassic(prog, CLASSIC_OPCODES, () => true);
}

/** A program's packet load: the value of `size` bytes (4, 2 or 1) at `offset`, or undefined when out of range (the program then returns 0). */
type BpfLoad = (offset: number, size: number) => number | undefined;

const sizeOf = (code: number): number => ((code & 0x18) === BPF.W ? 4 : (code & 0x18) === BPF.H ? 2 : 1);

/**
 * Runs a validated seccomp program over `data` (read as little-endian 32-bit
 * words) and returns its 32-bit result. BPF_LEN loads give `data`'s length;
 * a division by a zero X ends the program with 0, as Linux's does.
 */
export function runBpf(prog: readonly BpfInstruction[], data: DataView): number {
  return execute(prog, data.byteLength, (off) => data.getUint32(off, true));
}

/**
 * Runs a validated socket filter over `packet` and returns how many of its
 * bytes to keep (0 drops it). Loads read network byte order, as Linux's do;
 * a load past the end ends the program with 0. Offsets Linux reserves for
 * ancillary data and link/network-header-relative loads (negative k) are not
 * available here and load as out of range.
 */
export function runSocketFilter(prog: readonly BpfInstruction[], packet: Uint8Array): number {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return execute(prog, packet.length, (off, size) => {
    if (off < 0 || off + size > packet.length) return undefined;
    return size === 4 ? view.getUint32(off) : size === 2 ? view.getUint16(off) : view.getUint8(off);
  });
}

function execute(prog: readonly BpfInstruction[], dataLength: number, load: BpfLoad): number {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(BPF_MEMWORDS);
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, k, jt, jf } = prog[pc]!;
    const operand = code & BPF.X ? x : k;
    switch (cls(code)) {
      case BPF.LD:
        switch (code & 0xe0) {
          case BPF.ABS:
          case BPF.IND: {
            // k is a signed offset; an indirect load adds X to it.
            const off = (code & 0xe0) === BPF.IND ? (x + k) | 0 : k | 0;
            const v = load(off, sizeOf(code));
            if (v === undefined) return 0;
            a = v;
            break;
          }
          case BPF.IMM:
            a = k;
            break;
          case BPF.MEM:
            a = mem[k]!;
            break;
          case BPF.LEN:
            a = dataLength;
            break;
        }
        break;
      case BPF.LDX:
        switch (code & 0xe0) {
          case BPF.MEM:
            x = mem[k]!;
            break;
          case BPF.LEN:
            x = dataLength;
            break;
          case BPF.MSH: {
            // The IPv4 header length: 4 * the low nibble of the byte at k.
            const v = load(k | 0, 1);
            if (v === undefined) return 0;
            x = (v & 0xf) << 2;
            break;
          }
          default:
            x = k;
        }
        break;
      case BPF.ST:
        mem[k] = a;
        break;
      case BPF.STX:
        mem[k] = x;
        break;
      case BPF.ALU:
        switch (code & 0xf0) {
          case BPF.ADD:
            a = (a + operand) >>> 0;
            break;
          case BPF.SUB:
            a = (a - operand) >>> 0;
            break;
          case BPF.MUL:
            a = Math.imul(a, operand) >>> 0;
            break;
          case BPF.DIV:
            if (operand === 0) return 0;
            a = Math.floor(a / operand) >>> 0;
            break;
          case BPF.MOD:
            if (operand === 0) return 0;
            a = (a % operand) >>> 0;
            break;
          case BPF.AND:
            a = (a & operand) >>> 0;
            break;
          case BPF.OR:
            a = (a | operand) >>> 0;
            break;
          case BPF.XOR:
            a = (a ^ operand) >>> 0;
            break;
          case BPF.LSH:
            a = (a << (operand & 31)) >>> 0;
            break;
          case BPF.RSH:
            a = a >>> (operand & 31);
            break;
          case BPF.NEG:
            a = -a >>> 0;
            break;
        }
        break;
      case BPF.JMP: {
        const op = code & 0xf0;
        if (op === BPF.JA) {
          pc += k;
          break;
        }
        const taken = op === BPF.JEQ ? a === operand : op === BPF.JGT ? a > operand : op === BPF.JGE ? a >= operand : (a & operand) !== 0;
        pc += taken ? jt : jf;
        break;
      }
      case BPF.RET:
        return (code & 0x18) === BPF.A ? a : k;
      case BPF.MISC:
        if ((code & 0xf8) === BPF.TXA) a = x;
        else x = a;
        break;
    }
  }
  // Unreachable for a validated program (its last instruction returns).
  return 0;
}

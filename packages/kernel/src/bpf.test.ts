import { BPF, Errno, SysError } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBpfProgram, encodeBpfProgram, runBpf, runSocketFilter, validateSeccompProgram, validateSocketFilter, type BpfInstruction } from './bpf.js';

const DATA_SIZE = 64;
const stmt = (code: number, k: number): BpfInstruction => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf: number): BpfInstruction => ({ code, jt, jf, k });
const ret = (k: number) => stmt(BPF.RET | BPF.K, k);

function errnoOf(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
}

/** An ALU step of the reference model: the operation and its constant. */
type AluStep = { op: 'add' | 'sub' | 'mul' | 'div' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'neg'; k: number };
const OPCODE: Record<AluStep['op'], number> = {
  add: BPF.ADD,
  sub: BPF.SUB,
  mul: BPF.MUL,
  div: BPF.DIV,
  and: BPF.AND,
  or: BPF.OR,
  xor: BPF.XOR,
  lsh: BPF.LSH,
  rsh: BPF.RSH,
  neg: BPF.NEG,
};

/** The reference: 32-bit unsigned arithmetic done in BigInt, independently of the interpreter's Number tricks. */
function reference(start: bigint, steps: AluStep[]): bigint {
  const M = 1n << 32n;
  let a = start;
  for (const { op, k } of steps) {
    const K = BigInt(k);
    switch (op) {
      case 'add':
        a = (a + K) % M;
        break;
      case 'sub':
        a = (((a - K) % M) + M) % M;
        break;
      case 'mul':
        a = (a * K) % M;
        break;
      case 'div':
        a = a / K;
        break;
      case 'and':
        a &= K;
        break;
      case 'or':
        a |= K;
        break;
      case 'xor':
        a ^= K;
        break;
      case 'lsh':
        a = (a << K) % M;
        break;
      case 'rsh':
        a >>= K;
        break;
      case 'neg':
        a = (M - a) % M;
        break;
    }
  }
  return a;
}

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const aluStep: fc.Arbitrary<AluStep> = fc.oneof(
  fc.record({ op: fc.constantFrom<AluStep['op']>('add', 'sub', 'mul', 'and', 'or', 'xor', 'neg'), k: u32 }),
  fc.record({ op: fc.constant<AluStep['op']>('div'), k: fc.integer({ min: 1, max: 0xffff_ffff }) }),
  fc.record({ op: fc.constantFrom<AluStep['op']>('lsh', 'rsh'), k: fc.integer({ min: 0, max: 31 }) }),
);

function dataOf(words: number[]): DataView {
  const view = new DataView(new ArrayBuffer(DATA_SIZE));
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  return view;
}

describe('classic BPF for seccomp', () => {
  it('computes what 32-bit unsigned arithmetic gives (reference model, random programs)', () => {
    fc.assert(
      fc.property(
        fc.array(u32, { minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 15 }),
        fc.array(aluStep, { maxLength: 40 }),
        (words, word, steps) => {
          const prog = [stmt(BPF.LD | BPF.W | BPF.ABS, word * 4), ...steps.map(({ op, k }) => stmt(BPF.ALU | OPCODE[op] | BPF.K, k)), stmt(BPF.RET | BPF.A, 0)];
          validateSeccompProgram(prog, DATA_SIZE);
          expect(BigInt(runBpf(prog, dataOf(words)))).toBe(reference(BigInt(words[word]!), steps));
        },
      ),
    );
  });

  it('takes the branch each comparison asks for, with K or X', () => {
    const ops = [
      [BPF.JEQ, (a: number, b: number) => a === b],
      [BPF.JGT, (a: number, b: number) => a > b],
      [BPF.JGE, (a: number, b: number) => a >= b],
      [BPF.JSET, (a: number, b: number) => (a & b) !== 0],
    ] as const;
    fc.assert(
      fc.property(u32, fc.oneof(u32, fc.constant(0)), fc.integer({ min: 0, max: 3 }), fc.boolean(), (a, b, which, viaX) => {
        const [op, holds] = ops[which]!;
        const prog = [
          stmt(BPF.LD | BPF.W | BPF.ABS, 0),
          stmt(BPF.LDX | BPF.IMM, b),
          jump(BPF.JMP | op | (viaX ? BPF.X : BPF.K), viaX ? 0 : b, 1, 0),
          ret(111),
          ret(222),
        ];
        validateSeccompProgram(prog, DATA_SIZE);
        expect(runBpf(prog, dataOf([a]))).toBe(holds(a, b) ? 222 : 111);
      }),
    );
  });

  it('never accepts a program it cannot run: random instructions are rejected with EINVAL or run to a return', () => {
    const insn = fc.record({
      code: fc.oneof(
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(BPF.RET | BPF.K, BPF.LD | BPF.W | BPF.ABS, BPF.JMP | BPF.JEQ | BPF.K, BPF.ST, BPF.LD | BPF.MEM),
      ),
      jt: fc.integer({ min: 0, max: 4 }),
      jf: fc.integer({ min: 0, max: 4 }),
      k: fc.oneof(fc.integer({ min: 0, max: 70 }), u32),
    });
    fc.assert(
      fc.property(fc.array(insn, { minLength: 0, maxLength: 12 }), fc.array(u32, { minLength: 16, maxLength: 16 }), (prog, words) => {
        const errno = errnoOf(() => validateSeccompProgram(prog, DATA_SIZE));
        if (errno !== undefined) {
          expect(errno).toBe(Errno.EINVAL);
          return;
        }
        const r = runBpf(prog, dataOf(words));
        expect(Number.isInteger(r) && r >= 0 && r <= 0xffff_ffff).toBe(true);
      }),
    );
  });

  it('rejects what Linux rejects', () => {
    const reject = (prog: BpfInstruction[]) => expect(errnoOf(() => validateSeccompProgram(prog, DATA_SIZE))).toBe(Errno.EINVAL);
    reject([]);
    reject(Array.from({ length: BPF.MAXINSNS + 1 }, () => ret(0)));
    reject([stmt(BPF.LD | BPF.W | BPF.ABS, 0)]);
    reject([jump(BPF.JMP | BPF.JEQ | BPF.K, 0, 2, 0), ret(0)]);
    reject([stmt(BPF.JMP | BPF.JA, 1), ret(0)]);
    reject([stmt(BPF.LD | BPF.W | BPF.ABS, 2), ret(0)]);
    reject([stmt(BPF.LD | BPF.W | BPF.ABS, 64), ret(0)]);
    reject([stmt(BPF.LD | BPF.H | BPF.ABS, 0), ret(0)]);
    reject([stmt(BPF.ALU | BPF.DIV | BPF.K, 0), ret(0)]);
    reject([stmt(BPF.ALU | BPF.MOD | BPF.K, 3), ret(0)]);
    reject([stmt(BPF.ALU | BPF.LSH | BPF.K, 32), ret(0)]);
    reject([stmt(BPF.ST, 16), ret(0)]);
    reject([stmt(BPF.LD | BPF.MEM, 0), ret(0)]);
    // A word stored on one path only is not stored for the join.
    reject([jump(BPF.JMP | BPF.JEQ | BPF.K, 0, 0, 1), stmt(BPF.ST, 1), stmt(BPF.LD | BPF.MEM, 1), ret(0)]);
    // Stored on every path: accepted.
    validateSeccompProgram(
      [stmt(BPF.ST, 1), jump(BPF.JMP | BPF.JEQ | BPF.K, 0, 0, 1), stmt(BPF.ST, 2), stmt(BPF.LD | BPF.MEM, 1), stmt(BPF.RET | BPF.A, 0)],
      DATA_SIZE,
    );
  });

  it('ends with 0 on a division by a zero X, and decodes struct sock_filter', () => {
    expect(runBpf([stmt(BPF.LD | BPF.IMM, 7), stmt(BPF.ALU | BPF.DIV | BPF.X, 0), ret(5)], dataOf([]))).toBe(0);
    const raw = new Uint8Array([0x15, 0x00, 0x02, 0x03, 0x78, 0x56, 0x34, 0x12]);
    expect(decodeBpfProgram(raw)).toEqual([{ code: 0x15, jt: 2, jf: 3, k: 0x12345678 }]);
  });
});

describe('classic BPF for socket filters', () => {
  const ld = (size: number, mode: number, k: number) => stmt(BPF.LD | size | mode, k);
  /** The bytes at `off`, big-endian, composed independently of DataView. */
  const be = (pkt: Uint8Array, off: number, size: number) => {
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + pkt[off + i]!;
    return v;
  };

  it('loads words, halves and bytes in network byte order, directly and through X, and returns 0 past the end', () => {
    const sizes = [
      [BPF.W, 4],
      [BPF.H, 2],
      [BPF.B, 1],
    ] as const;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.integer({ min: 0, max: 48 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 8 }),
        (pkt, off, which, x) => {
          const [size, n] = sizes[which]!;
          const want = off + n <= pkt.length ? be(pkt, off, n) : 0;
          const direct = [ld(size, BPF.ABS, off), stmt(BPF.RET | BPF.A, 0)];
          validateSocketFilter(direct);
          expect(runSocketFilter(direct, pkt)).toBe(want);
          const wantInd = off + x + n <= pkt.length ? be(pkt, off + x, n) : 0;
          const indirect = [stmt(BPF.LDX | BPF.IMM, x), ld(size, BPF.IND, off), stmt(BPF.RET | BPF.A, 0)];
          validateSocketFilter(indirect);
          expect(runSocketFilter(indirect, pkt)).toBe(wantInd);
        },
      ),
    );
  });

  it('reads an IPv4 header length with LDX MSH and the packet length with LEN', () => {
    const pkt = Uint8Array.of(0x46, 0, 0, 0, 0, 0, 0, 0, 0);
    const msh = [stmt(BPF.LDX | BPF.B | BPF.MSH, 0), stmt(BPF.MISC | BPF.TXA, 0), stmt(BPF.RET | BPF.A, 0)];
    validateSocketFilter(msh);
    expect(runSocketFilter(msh, pkt)).toBe(24);
    expect(runSocketFilter([ld(BPF.W, BPF.LEN, 0), stmt(BPF.RET | BPF.A, 0)], pkt)).toBe(9);
    // An ancillary or header-relative offset (negative k) is not a packet byte: the program returns 0.
    expect(runSocketFilter([ld(BPF.B, BPF.ABS, 0xfffff000), ret(7)], pkt)).toBe(0);
  });

  it('accepts the packet loads seccomp refuses, and rejects what bpf_check_classic rejects', () => {
    const ethertype = [ld(BPF.H, BPF.ABS, 12), jump(BPF.JMP | BPF.JEQ | BPF.K, 0x800, 0, 1), ret(0xffff), ret(0)];
    validateSocketFilter(ethertype);
    expect(errnoOf(() => validateSeccompProgram(ethertype, DATA_SIZE))).toBe(Errno.EINVAL);
    expect(runSocketFilter(ethertype, Uint8Array.of(...new Array<number>(12).fill(0), 8, 0))).toBe(0xffff);
    expect(runSocketFilter(ethertype, Uint8Array.of(...new Array<number>(12).fill(0), 0x86, 0xdd))).toBe(0);
    for (const bad of [
      [],
      [stmt(BPF.ALU | BPF.MOD | BPF.K, 0), ret(0)],
      [stmt(BPF.ALU | BPF.DIV | BPF.K, 0), ret(0)],
      [stmt(BPF.ALU | BPF.LSH | BPF.K, 32), ret(0)],
      [ld(BPF.W, BPF.MEM, 16), ret(0)],
      [ld(BPF.W, BPF.MEM, 0), ret(0)],
      [jump(BPF.JMP | BPF.JEQ | BPF.K, 0, 0, 5), ret(0)],
      [ld(BPF.W, BPF.ABS, 0)],
      [stmt(0xffff, 0), ret(0)],
      new Array<BpfInstruction>(BPF.MAXINSNS + 1).fill(ret(0)),
    ]) {
      expect(errnoOf(() => validateSocketFilter(bad))).toBe(Errno.EINVAL);
    }
  });

  it('encodes a program back into the struct sock_filter bytes it was decoded from', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (raw) => {
        const bytes = raw.subarray(0, raw.length - (raw.length % 8));
        expect(encodeBpfProgram(decodeBpfProgram(bytes))).toEqual(bytes);
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { USER_REGS } from '@tvisor/abi';
import { REG, Registers, USER_REGS_SIZE } from '../src/index.js';

const seed = Number(process.env.FC_SEED ?? 1207);

function fresh(): Registers {
  return new Registers(new ArrayBuffer(USER_REGS_SIZE));
}

describe('Registers', () => {
  it('lays registers out as struct user_regs_struct', () => {
    expect(USER_REGS_SIZE).toBe(216);
    expect(Object.keys(REG)).toHaveLength(27);
    expect(REG.rax).toBe(USER_REGS.RAX / 8);
    expect(REG.orig_rax).toBe(15);
    expect(REG.gs).toBe(26);
  });

  it('reads a register written through the buffer at its struct offset', () => {
    const buf = new ArrayBuffer(USER_REGS_SIZE);
    const regs = new Registers(buf);
    new DataView(buf).setBigUint64(USER_REGS.RDI, 0x1234_5678_9abcn, true);
    expect(regs.arg(0)).toBe(0x1234_5678_9abc);
    new DataView(buf).setBigUint64(USER_REGS.ORIG_RAX, 0xffff_ffff_ffff_ffffn, true);
    expect(regs.syscallNumber).toBe(-1);
  });

  it("stores negative numbers as 64-bit two's complement", () => {
    const regs = fresh();
    regs.setReturn(-2);
    expect(regs.getBig(REG.rax)).toBe(0xffff_ffff_ffff_fffen);
    expect(regs.getSigned(REG.rax)).toBe(-2);
    expect(regs.getInt32(REG.rax)).toBe(-2);
    expect(regs.getUint32(REG.rax)).toBe(0xffff_fffe);
  });

  it('maps syscall arguments to rdi, rsi, rdx, r10, r8, r9', () => {
    const regs = fresh();
    const order = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9];
    order.forEach((r, i) => regs.set(r, 100 + i));
    for (let i = 0; i < 6; i++) expect(regs.arg(i)).toBe(100 + i);
    regs.setArg(3, 7);
    expect(regs.get(REG.r10)).toBe(7);
  });

  it('round-trips any 64-bit value through setBig/getBig and any safe integer through set/getSigned', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 26 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.maxSafeInteger(), (r, big, n) => {
        const regs = fresh();
        regs.setBig(r, big);
        expect(regs.getBig(r)).toBe(big);
        regs.set(r, n);
        expect(regs.getSigned(r)).toBe(n);
        expect(regs.getBig(r)).toBe(BigInt.asUintN(64, BigInt(n)));
      }),
      { seed, numRuns: 500 },
    );
  });

  it('snapshot and restore, copyFrom copy every register', () => {
    const a = fresh();
    const b = fresh();
    for (let r = 0; r < 27; r++) a.set(r, r * 3 + 1);
    const saved = a.snapshot();
    b.copyFrom(a);
    a.ip = 0;
    a.sp = 0;
    expect(b.ip).toBe(REG.rip * 3 + 1);
    a.restore(saved);
    for (let r = 0; r < 27; r++) expect(a.get(r)).toBe(r * 3 + 1);
  });
});

import { SA, SS } from '@tvisor/abi';
import type { Sigaction } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AltStack } from './altstack.js';
import { ALTSTACK_DISABLED, ALTSTACK_INITIAL } from './altstack.js';
import { FIX_EFLAGS, FX_SW_BYTES_OFFSET, FXSAVE_SIZE, MINSIGSTKSZ, USER_CS, USER_DS, XFEATURE_FPSSE } from './constants.js';
import type { FpuLayout } from './fpu.js';
import { fxsaveLayout, xsaveLayout } from './fpu.js';
import { buildSignalFrame, restoreFromSigreturn, UNBLOCKABLE } from './frame.js';
import { memoryAt } from './memory.js';
import { GREG, GREG_COUNT } from './registers.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const userAddr = fc.integer({ min: 0x10_0000, max: 0x7fff_fff0_0000 });

/** Layouts of real machines: fxsave only, AVX, AVX-512 + PKRU, and AMX. */
const layouts: FpuLayout[] = [fxsaveLayout(), xsaveLayout(0x7n), xsaveLayout(0x2e7n), xsaveLayout(0x602e7n)];

/** A platform FP image: random contents, but valid where the CPU checks (MXCSR, header) and in ptrace's format (XCR0 at 464). */
function fpStateFor(layout: FpuLayout): fc.Arbitrary<Uint8Array> {
  const size = layout.format === 'xsave' ? layout.ptraceSize : FXSAVE_SIZE;
  return fc.tuple(fc.uint8Array({ minLength: size, maxLength: size }), u64).map(([bytes, bv]) => {
    const dv = new DataView(bytes.buffer);
    dv.setUint32(24, dv.getUint32(24, true) & layout.mxcsrMask, true);
    dv.setUint32(28, layout.mxcsrMask, true);
    bytes.fill(0, FX_SW_BYTES_OFFSET, FXSAVE_SIZE);
    if (layout.format === 'xsave') {
      dv.setBigUint64(FX_SW_BYTES_OFFSET, layout.xcr0, true);
      bytes.fill(0, FXSAVE_SIZE, FXSAVE_SIZE + 64);
      dv.setBigUint64(FXSAVE_SIZE, bv & layout.features, true);
    }
    return bytes;
  });
}

/** Alternate-stack states sigaltstack(2) can leave. */
const altStacks: fc.Arbitrary<AltStack> = fc.oneof(
  fc.constant(ALTSTACK_INITIAL),
  fc.constant(ALTSTACK_DISABLED),
  fc.record({
    // Low enough that even a 1 MiB stack ends below TASK_SIZE_MAX (above it the frame is unwritable: a different refusal).
    sp: fc.integer({ min: 0x10_0000, max: 0x7fff_ff00_0000 }),
    flags: fc.constantFrom(0, SS.AUTODISARM),
    size: fc.oneof(fc.integer({ min: MINSIGSTKSZ, max: 0x1_0000 }), fc.integer({ min: 0x4000, max: 0x10_0000 })),
  }),
);

const saFlags = fc
  .subarray([SA.SIGINFO, SA.ONSTACK, SA.NODEFER, SA.RESETHAND, SA.RESTART])
  .map((fs) => fs.reduce<number>((a, b) => (a | b) >>> 0, SA.RESTORER));

const input = fc.constantFrom(...layouts).chain((layout) =>
  fc.record({
    layout: fc.constant(layout),
    regs: fc.array(u64, { minLength: GREG_COUNT, maxLength: GREG_COUNT }),
    rsp: userAddr,
    fpState: fpStateFor(layout),
    savedMask: u64,
    saMask: u64,
    signo: fc.integer({ min: 1, max: 64 }),
    siginfo: fc.uint8Array({ minLength: 128, maxLength: 128 }),
    alt: altStacks,
    flags: saFlags,
    eflagsAtSigreturn: u64,
  }),
);

describe('rt_sigreturn undoes delivery (fast-check)', () => {
  it('registers (modulo Linux forced fields), mask, FP state and sigaltstack come back', () => {
    fc.assert(
      fc.property(input, (x) => {
        const regs = x.regs.slice();
        regs[GREG.rsp] = BigInt(x.rsp);
        const action: Sigaction = { sa_handler: 0x40_1000, sa_flags: x.flags, sa_restorer: 0x40_2000, sa_mask: x.saMask };
        const built = buildSignalFrame({
          regs,
          fpState: x.fpState,
          fpu: x.layout,
          signo: x.signo,
          siginfo: x.siginfo,
          savedMask: x.savedMask,
          altStack: x.alt,
          action,
        });
        if (!built.ok) {
          // The only refusal possible here: a frame that does not fit the alternate stack.
          expect(built.reason).toBe('altstack-overflow');
          return;
        }
        expect((built.sp + 8) % 16).toBe(0);
        expect(built.addresses.fpstate % 64).toBe(0);
        // Without SA_ONSTACK the whole frame sits below the red zone.
        if ((x.flags & SA.ONSTACK) === 0) expect(built.sp + built.bytes.length).toBeLessThanOrEqual(x.rsp - 128);

        // The handler returns: `ret` pops pretcode, the restorer calls rt_sigreturn.
        const atSigreturn = built.newRegs.slice();
        atSigreturn[GREG.rsp] = BigInt(built.sp + 8);
        atSigreturn[GREG.eflags] = x.eflagsAtSigreturn;
        const res = restoreFromSigreturn({
          regs: atSigreturn,
          memory: memoryAt(built.sp, built.bytes),
          fpu: x.layout,
          fpState: built.handlerFpState,
          altStack: built.altStackAfter,
        });
        expect(res.ok).toBe(true);
        if (!res.ok) return;

        const want = BigUint64Array.from(regs);
        const fix = BigInt(FIX_EFLAGS);
        want[GREG.eflags] = (x.eflagsAtSigreturn & ~fix) | (regs[GREG.eflags] & fix);
        want[GREG.cs] = (regs[GREG.cs] & 0xffffn) | 3n;
        want[GREG.ss] = (regs[GREG.ss] & 0xffffn) | 3n;
        want[GREG.orig_rax] = (1n << 64n) - 1n;
        // Linux's force_valid_ss: a frame built outside 64-bit mode has no
        // UC_STRICT_RESTORE_SS, and if the restored cs is then __USER_CS (the
        // low bits of a random cs can make it so), ss becomes __USER_DS.
        if ((regs[GREG.cs] & 0xffffn) !== BigInt(USER_CS) && want[GREG.cs] === BigInt(USER_CS) && want[GREG.ss] !== BigInt(USER_DS))
          want[GREG.ss] = BigInt(USER_DS);
        expect(Array.from(res.regs)).toEqual(Array.from(want));
        expect(res.blocked).toBe(x.savedMask & ~UNBLOCKABLE);
        expect(res.altStack).toEqual(x.alt);

        const wantFp = x.fpState.slice();
        if (x.layout.format === 'xsave') {
          const dv = new DataView(wantFp.buffer);
          dv.setBigUint64(FXSAVE_SIZE, dv.getBigUint64(FXSAVE_SIZE, true) | XFEATURE_FPSSE, true);
          wantFp.fill(0, x.layout.size);
        }
        expect(Buffer.from(res.fpState).equals(Buffer.from(wantFp))).toBe(true);
        expect(res.fpLegacyOnly).toBe(x.layout.format === 'fxsave');
      }),
      { numRuns: 200 },
    );
  });
});

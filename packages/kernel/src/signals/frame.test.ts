import { FP_XSTATE, RtSigframe, SA, SS, Signal, UC, sigmask } from '@tvisor/abi';
import type { Sigaction } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import type { AltStack } from './altstack.js';
import { ALTSTACK_DISABLED, ALTSTACK_INITIAL, onAltStack, reportedAltStackFlags, restoreAltStack } from './altstack.js';
import { FCW_INIT, FX_SW_BYTES_OFFSET, FXSAVE_SIZE, MXCSR_INIT, XFEATURE } from './constants.js';
import type { FpuLayout } from './fpu.js';
import { decodeFrameFpState, encodeFrameFpState, fxsaveLayout, handlerFpState, xsaveLayout } from './fpu.js';
import { buildSignalFrame, restoreFromSigreturn, RT_SIGFRAME } from './frame.js';
import type { SignalFrameBuilt } from './frame.js';
import { memoryAt } from './memory.js';
import type { UserMemoryReader } from './memory.js';
import { GREG, GREG_COUNT, readGeneralRegisters, writeGeneralRegisters } from './registers.js';
import { sigInfoKill } from './siginfo.js';

const AVX512 = xsaveLayout(0x2e7n);
const ACTION: Sigaction = { sa_handler: 0x40_1000, sa_flags: SA.SIGINFO | SA.RESTORER, sa_restorer: 0x40_2000, sa_mask: 0n };

function regsWith(rsp: number, extra: Partial<Record<keyof typeof GREG, bigint>> = {}): bigint[] {
  const r = Array.from({ length: GREG_COUNT }, (_, i) => BigInt(i + 1) * 0x0101_0101n);
  r[GREG.rsp] = BigInt(rsp);
  r[GREG.cs] = 0x33n;
  r[GREG.ss] = 0x2bn;
  r[GREG.eflags] = 0x246n;
  r[GREG.orig_rax] = (1n << 64n) - 1n;
  for (const [k, v] of Object.entries(extra)) r[GREG[k as keyof typeof GREG]] = v;
  return r;
}

function fpImage(layout: FpuLayout, fill = 0): Uint8Array {
  const img = new Uint8Array(layout.format === 'xsave' ? layout.ptraceSize : FXSAVE_SIZE).fill(fill);
  const dv = new DataView(img.buffer);
  dv.setUint16(0, FCW_INIT, true);
  dv.setUint32(24, MXCSR_INIT, true);
  dv.setUint32(28, 0xffff, true);
  img.fill(0, FX_SW_BYTES_OFFSET, FXSAVE_SIZE);
  if (layout.format === 'xsave') {
    dv.setBigUint64(FX_SW_BYTES_OFFSET, layout.xcr0, true);
    img.fill(0, FXSAVE_SIZE, FXSAVE_SIZE + 64);
    dv.setBigUint64(FXSAVE_SIZE, XFEATURE.SSE | XFEATURE.YMM | XFEATURE.PKRU, true);
  }
  return img;
}

function build(
  opts: { layout?: FpuLayout; rsp?: number; action?: Partial<Sigaction>; regs?: bigint[]; alt?: AltStack; savedMask?: bigint } = {},
): SignalFrameBuilt {
  const layout = opts.layout ?? AVX512;
  const r = buildSignalFrame({
    regs: opts.regs ?? regsWith(opts.rsp ?? 0x7ffd_0000_1000),
    fpState: fpImage(layout, 0x5a),
    fpu: layout,
    signo: Signal.SIGUSR1,
    siginfo: sigInfoKill(Signal.SIGUSR1, { pid: 7, uid: 8 }),
    savedMask: opts.savedMask ?? 0n,
    altStack: opts.alt ?? ALTSTACK_INITIAL,
    action: { ...ACTION, ...opts.action },
  });
  if (!r.ok) throw new Error(r.reason);
  return r;
}

describe('buildSignalFrame details the oracle does not reach', () => {
  it('without SA_SIGINFO the siginfo area stays empty', () => {
    const b = build({ action: { sa_flags: SA.RESTORER } });
    expect(b.bytes.subarray(RT_SIGFRAME.INFO, RT_SIGFRAME.INFO + 128).every((x) => x === 0)).toBe(true);
    expect(
      build()
        .bytes.subarray(RT_SIGFRAME.INFO, RT_SIGFRAME.INFO + 128)
        .some((x) => x !== 0),
    ).toBe(true);
  });

  it('fxsave layout: a frame like an FXSR-only CPU builds (no UC_FP_XSTATE, 512-byte area, no MAGIC2)', () => {
    const b = build({ layout: fxsaveLayout() });
    const frame = RtSigframe.decode(new DataView(b.bytes.buffer), 0);
    expect(frame.uc.uc_flags).toBe(UC.SIGCONTEXT_SS | UC.STRICT_RESTORE_SS);
    const fp = b.addresses.fpstate - b.sp;
    expect(b.bytes.length - fp).toBe(512);
    const dv = new DataView(b.bytes.buffer, fp);
    expect([dv.getUint32(464, true), dv.getUint32(468, true), dv.getBigUint64(472, true), dv.getUint32(480, true)]).toEqual([FP_XSTATE.MAGIC1, 516, 3n, 512]);
  });

  it('a 32-bit or bogus SS is saved as is, and the handler gets __USER_DS', () => {
    const b = build({ regs: regsWith(0x7ffd_0000_1000, { ss: 0x23n }) });
    expect(RtSigframe.decode(new DataView(b.bytes.buffer), 0).uc.uc_mcontext.ss).toBe(0x23);
    expect(b.newRegs[GREG.ss]).toBe(0x2bn);
  });

  it('the blocked set while handling never holds SIGKILL or SIGSTOP, and holds the signal unless SA_NODEFER', () => {
    const everything = (1n << 64n) - 1n;
    expect(build({ action: { sa_mask: everything } }).blockedAfter).toBe(everything & ~(sigmask(Signal.SIGKILL) | sigmask(Signal.SIGSTOP)));
    expect(build().blockedAfter).toBe(sigmask(Signal.SIGUSR1));
    expect(build({ action: { sa_flags: SA.RESTORER | SA.NODEFER } }).blockedAfter).toBe(0n);
  });

  it('a stack pointer near address 0 gives no frame', () => {
    const r = buildSignalFrame({
      regs: regsWith(0x100),
      fpState: fpImage(AVX512),
      fpu: AVX512,
      signo: 10,
      siginfo: new Uint8Array(128),
      savedMask: 0n,
      altStack: ALTSTACK_INITIAL,
      action: ACTION,
    });
    expect(r).toEqual({ ok: false, reason: 'address-out-of-range' });
  });

  it('an alternate stack reaching above TASK_SIZE_MAX gives no frame (Linux could not write it)', () => {
    const r = buildSignalFrame({
      regs: regsWith(0x7ffd_0000_1000),
      fpState: fpImage(AVX512),
      fpu: AVX512,
      signo: 10,
      siginfo: new Uint8Array(128),
      savedMask: 0n,
      altStack: { sp: 0x7fff_ffff_0000, flags: 0, size: 0x2_0000 },
      action: { ...ACTION, sa_flags: SA.RESTORER | SA.ONSTACK },
    });
    expect(r).toEqual({ ok: false, reason: 'address-out-of-range' });
  });

  it('already on a (non-autodisarm) alternate stack, a nested frame goes below rsp and its red zone, on that stack', () => {
    const alt: AltStack = { sp: 0x50_0000, flags: 0, size: 0x1_0000 };
    const b = build({ rsp: 0x50_8000, alt, action: { sa_flags: SA.RESTORER | SA.ONSTACK } });
    expect(b.sp + b.bytes.length).toBeLessThanOrEqual(0x50_8000 - 128);
    expect(b.sp).toBeGreaterThan(alt.sp);
    expect(b.altStackAfter).toBe(alt);
  });
});

describe('FP area', () => {
  it('xsaveLayout sizes for AVX, AVX-512+PKRU and AMX (tile data left out until permitted)', () => {
    expect(xsaveLayout(0x7n).size).toBe(832);
    expect(xsaveLayout(0x2e7n).size).toBe(2696);
    const amx = xsaveLayout(0x602e7n);
    expect([amx.size, amx.ptraceSize, amx.features]).toEqual([2816, 11008, 0x202e7n]);
    expect(xsaveLayout(0x602e7n, { permittedDynamic: XFEATURE.XTILE_DATA }).size).toBe(11008);
  });

  it('component offsets come from the layout: an AMD EPYC (CPUID 0xD: no MPX gap) has a 2432-byte AVX-512 frame, PKRU kept from its own offset', () => {
    const amd = new Map<bigint, readonly [number, number]>([
      [XFEATURE.YMM, [576, 256]],
      [XFEATURE.OPMASK, [832, 64]],
      [XFEATURE.ZMM_HI256, [896, 512]],
      [XFEATURE.HI16_ZMM, [1408, 1024]],
      [XFEATURE.PKRU, [2432, 8]],
    ]);
    expect([xsaveLayout(0xe7n, { components: amd }).size, xsaveLayout(0x2e7n, { components: amd }).size]).toEqual([2432, 2440]);
    const layout = xsaveLayout(0x2e7n, { components: amd });
    const cur = new Uint8Array(layout.ptraceSize);
    new DataView(cur.buffer).setBigUint64(FXSAVE_SIZE, XFEATURE.PKRU, true);
    cur.fill(0x5a, 2432, 2440);
    const st = handlerFpState(cur, layout);
    expect(Buffer.from(st.subarray(2432, 2440)).toString('hex')).toBe('5a'.repeat(8));
    const area = encodeFrameFpState(cur, layout);
    expect(new DataView(area.buffer).getUint32(2440, true)).toBe(FP_XSTATE.MAGIC2);
  });

  it('a handler starts with x87/SSE initial and every component initial except PKRU', () => {
    const cur = fpImage(AVX512, 0x77);
    const st = handlerFpState(cur, AVX512);
    const dv = new DataView(st.buffer);
    expect([dv.getUint16(0, true), dv.getUint32(24, true)]).toEqual([FCW_INIT, MXCSR_INIT]);
    expect(dv.getBigUint64(FXSAVE_SIZE, true)).toBe(XFEATURE.FP | XFEATURE.SSE | XFEATURE.PKRU);
    expect(Array.from(st.subarray(2688, 2696))).toEqual(Array.from(cur.subarray(2688, 2696)));
    expect(st.subarray(160, 416).every((b) => b === 0)).toBe(true);
  });

  const addr = 0x60_0000;
  const decode = (area: Uint8Array, at = addr): ReturnType<typeof decodeFrameFpState> => decodeFrameFpState(memoryAt(at, area), at, AVX512, fpImage(AVX512));
  const edited = (edit: (dv: DataView, area: Uint8Array) => void): Uint8Array => {
    const area = encodeFrameFpState(fpImage(AVX512, 0x11), AVX512);
    edit(new DataView(area.buffer), area);
    return area;
  };

  it('restores the components the header names', () => {
    const r = decode(edited(() => undefined));
    expect(r.ok && !r.legacyOnly).toBe(true);
  });

  it('XSTATE_BV bits outside XCR0 and non-zero reserved header bytes make XRSTOR fault', () => {
    expect(decode(edited((dv) => dv.setBigUint64(FXSAVE_SIZE, 1n << 11n, true)))).toMatchObject({ ok: false });
    expect(decode(edited((dv) => dv.setUint8(FXSAVE_SIZE + 9, 1)))).toMatchObject({ ok: false });
  });

  it('an image size beyond the layout falls back to the legacy area', () => {
    const r = decode(edited((dv) => dv.setUint32(FX_SW_BYTES_OFFSET + 16, AVX512.size + 64, true)));
    expect(r).toMatchObject({ ok: true, legacyOnly: true });
    if (r.ok) expect(new DataView(r.state.buffer).getBigUint64(FXSAVE_SIZE, true)).toBe(3n);
  });

  it('an unreadable MAGIC2 word is a bad frame; an unreadable legacy area too', () => {
    const area = edited(() => undefined);
    expect(decode(area.subarray(0, AVX512.size))).toMatchObject({ ok: false });
    const nothing: UserMemoryReader = { read: () => null };
    expect(decodeFrameFpState(nothing, addr, AVX512, fpImage(AVX512))).toMatchObject({ ok: false });
  });

  it('fxsave layout: 16-byte alignment and a valid MXCSR are required', () => {
    const fx = fxsaveLayout();
    const area = encodeFrameFpState(fpImage(fx, 0x22), fx);
    expect(decodeFrameFpState(memoryAt(addr, area), addr, fx, fpImage(fx))).toMatchObject({ ok: true });
    expect(decodeFrameFpState(memoryAt(addr + 8, area), addr + 8, fx, fpImage(fx))).toMatchObject({ ok: false });
    new DataView(area.buffer).setUint32(24, 0x1_0000, true);
    expect(decodeFrameFpState(memoryAt(addr, area), addr, fx, fpImage(fx))).toMatchObject({ ok: false });
  });
});

describe('restoreFromSigreturn edge cases', () => {
  const sigreturnRegs = (b: SignalFrameBuilt): BigUint64Array => {
    const r = b.newRegs.slice();
    r[GREG.rsp] = BigInt(b.sp + 8);
    return r;
  };

  it('an unreadable frame fails before anything is applied', () => {
    const b = build();
    const r = restoreFromSigreturn({ regs: sigreturnRegs(b), memory: { read: () => null }, fpu: AVX512, fpState: fpImage(AVX512), altStack: ALTSTACK_INITIAL });
    expect(r).toEqual({ ok: false, reason: 'frame unreadable' });
  });

  it('without UC_STRICT_RESTORE_SS an invalid SS becomes __USER_DS; with it SS is kept (RPL 3)', () => {
    const b = build({ regs: regsWith(0x7ffd_0000_1000, { ss: 0x10n }) });
    const strict = restoreFromSigreturn({
      regs: sigreturnRegs(b),
      memory: memoryAt(b.sp, b.bytes),
      fpu: AVX512,
      fpState: fpImage(AVX512),
      altStack: ALTSTACK_INITIAL,
    });
    expect(strict.ok && strict.regs[GREG.ss]).toBe(0x13n);
    const lax = b.bytes.slice();
    new DataView(lax.buffer).setBigUint64(RT_SIGFRAME.UC, BigInt(UC.SIGCONTEXT_SS | UC.FP_XSTATE), true);
    const r = restoreFromSigreturn({ regs: sigreturnRegs(b), memory: memoryAt(b.sp, lax), fpu: AVX512, fpState: fpImage(AVX512), altStack: ALTSTACK_INITIAL });
    expect(r.ok && r.regs[GREG.ss]).toBe(0x2bn);
  });
});

describe('sigaltstack bookkeeping', () => {
  const alt: AltStack = { sp: 0x40_0000, flags: 0, size: 0x4000 };

  it('on-stack tests: the top counts, the base does not; SS_AUTODISARM is never "on"', () => {
    expect(onAltStack(alt, 0x40_4000)).toBe(true);
    expect(onAltStack(alt, 0x40_0000)).toBe(false);
    expect(onAltStack({ ...alt, flags: SS.AUTODISARM }, 0x40_1000)).toBe(false);
    expect(reportedAltStackFlags(alt, 0x40_1000)).toBe(SS.ONSTACK);
    expect(reportedAltStackFlags(ALTSTACK_INITIAL, 0x40_1000)).toBe(SS.DISABLE);
  });

  it('rt_sigreturn re-applies uc_stack like sigaltstack(2), silently keeping the current one on error', () => {
    const other: AltStack = { sp: 0x90_0000, flags: 0, size: 0x8000 };
    expect(restoreAltStack(alt, other, 0x40_1000)).toBe(alt); // EPERM: running on it
    expect(restoreAltStack(alt, other, 0x10_0000)).toEqual(other);
    expect(restoreAltStack(alt, { ...other, flags: 4 }, 0x10_0000)).toBe(alt); // EINVAL: bad mode
    expect(restoreAltStack(alt, { ...other, size: 100 }, 0x10_0000)).toBe(alt); // ENOMEM: below MINSIGSTKSZ
    expect(restoreAltStack(alt, { sp: 0x1234, flags: SS.DISABLE, size: 99 }, 0x10_0000)).toEqual(ALTSTACK_DISABLED);
    expect(restoreAltStack(ALTSTACK_DISABLED, { ...other, flags: SS.AUTODISARM }, 0x10_0000)).toEqual({ ...other, flags: SS.AUTODISARM });
  });
});

describe('register sources', () => {
  it('reads PTRACE_GETREGS words, 64-bit arrays and readers alike, and writes back through setBig', () => {
    const words = regsWith(0x1000, { r15: 0xffff_ffff_0000_0001n });
    const halves = new Uint32Array(GREG_COUNT * 2);
    words.forEach((w, i) => {
      halves[2 * i] = Number(w & 0xffff_ffffn);
      halves[2 * i + 1] = Number(w >> 32n);
    });
    const a = readGeneralRegisters(halves);
    expect(Array.from(a)).toEqual(words);
    expect(Array.from(readGeneralRegisters(BigUint64Array.from(words)))).toEqual(words);
    expect(Array.from(readGeneralRegisters({ getBig: (i) => words[i] }))).toEqual(words);
    const out: bigint[] = [];
    writeGeneralRegisters(
      {
        setBig: (i, v) => {
          out[i] = v;
        },
      },
      a,
    );
    expect(out).toEqual(words);
    expect(() => readGeneralRegisters(new Uint32Array(10))).toThrow(RangeError);
  });
});

import { FP_XSTATE } from '@tvisor/abi';
import {
  FCW_INIT,
  FP_XSTATE_MAGIC2_SIZE,
  FX_SW_BYTES_OFFSET,
  FXSAVE_ALIGNMENT,
  FXSAVE_SIZE,
  MXCSR_DEFAULT_MASK,
  MXCSR_INIT,
  MXCSR_MASK_OFFSET,
  MXCSR_OFFSET,
  XFEATURE,
  XFEATURE_DYNAMIC,
  XFEATURE_FPSSE,
  XSAVE_ALIGNMENT,
  XSAVE_HEADER_SIZE,
  XSAVE_INTEL_LAYOUT,
  type XsaveComponents,
} from './constants.js';
import { hostCpuid } from '../native/cpuid.js';
import type { UserMemoryReader } from './memory.js';

/**
 * How the platform exchanges FP/extended state with the kernel, which fixes
 * what a signal frame holds.
 *
 * - `fxsave`: the 512-byte FXSAVE image of PTRACE_GETFPREGS. Frames look like
 *   those of a CPU without XSAVE: no UC_FP_XSTATE, no FP_XSTATE_MAGIC2.
 * - `xsave`: the standard-format XSAVE image of PTRACE_GETREGSET
 *   NT_X86_XSTATE. Frames carry `size` bytes of it plus the magic words,
 *   like Linux on an XSAVE machine.
 */
export type FpuLayout = FxsaveLayout | XsaveLayout;

export interface FxsaveLayout {
  readonly format: 'fxsave';
  /** MXCSR bits the CPU accepts (MXCSR_MASK); a frame setting others is rejected. */
  readonly mxcsrMask: number;
}

export interface XsaveLayout {
  readonly format: 'xsave';
  /** XCR0: every state component the CPU saves and restores. */
  readonly xcr0: bigint;
  /** Components a signal frame carries (Linux's user_xfeatures): XCR0 minus dynamic ones not permitted. */
  readonly features: bigint;
  /** Bytes of XSAVE image in a frame (Linux's user_size): the end of the last component in `features`. */
  readonly size: number;
  /** Length of the NT_X86_XSTATE buffer the platform reads and writes (Linux's max_size, covering all of XCR0). */
  readonly ptraceSize: number;
  /** Offset and size of each component of XCR0 in the standard format, as the CPU's CPUID leaf 0xD reports them. */
  readonly components: XsaveComponents;
  readonly mxcsrMask: number;
}

/** The fxsave layout. */
export function fxsaveLayout(mxcsrMask: number = MXCSR_DEFAULT_MASK): FxsaveLayout {
  return { format: 'fxsave', mxcsrMask };
}

/** End of the standard-format XSAVE image holding the components of `features`, placed per `components`. */
export function xsaveSizeFor(features: bigint, components: XsaveComponents = XSAVE_INTEL_LAYOUT): number {
  let end = FXSAVE_SIZE + XSAVE_HEADER_SIZE;
  for (const [bit, [offset, size]] of components) {
    if ((features & bit) !== 0n) end = Math.max(end, offset + size);
  }
  return end;
}

/**
 * Where the host CPU puts each extended component of `xcr0` (bits 2 and up)
 * in the standard format: CPUID leaf 0xD, sub-leaf i, gives size (eax) and
 * offset (ebx). Linux sizes and lays out signal frames from the same leaf.
 */
export function hostXsaveComponents(xcr0: bigint): XsaveComponents {
  const out = new Map<bigint, readonly [number, number]>();
  for (let i = 2n; i < 64n; i++) {
    const bit = 1n << i;
    if ((xcr0 & bit) === 0n) continue;
    const { eax: size, ebx: offset } = hostCpuid(0xd, Number(i));
    out.set(bit, [offset, size]);
  }
  return out;
}

/**
 * The xsave layout for a CPU with `xcr0` whose components sit where
 * `components` says (default: Intel's offsets). `permittedDynamic` lists dynamic components (AMX tile data) the
 * process was granted with ARCH_REQ_XCOMP_PERM; the others stay out of
 * signal frames, as on Linux.
 */
export function xsaveLayout(
  xcr0: bigint,
  opts: { permittedDynamic?: bigint; ptraceSize?: number; mxcsrMask?: number; components?: XsaveComponents } = {},
): XsaveLayout {
  const features = xcr0 & ~(XFEATURE_DYNAMIC & ~(opts.permittedDynamic ?? 0n));
  const components = opts.components ?? XSAVE_INTEL_LAYOUT;
  return {
    format: 'xsave',
    xcr0,
    features,
    size: xsaveSizeFor(features, components),
    ptraceSize: opts.ptraceSize ?? xsaveSizeFor(xcr0, components),
    components,
    mxcsrMask: opts.mxcsrMask ?? MXCSR_DEFAULT_MASK,
  };
}

/**
 * The xsave layout of the machine a PTRACE_GETREGSET NT_X86_XSTATE buffer
 * came from (this host): Linux stores XCR0 in the first software-reserved
 * word (offset 464) of that buffer, the buffer's length is the ptrace size,
 * and the component offsets come from the host's CPUID leaf 0xD unless
 * `components` is given.
 */
export function xsaveLayoutFromPtrace(
  xstate: Uint8Array,
  opts: { permittedDynamic?: bigint; mxcsrMask?: number; components?: XsaveComponents } = {},
): XsaveLayout {
  if (xstate.length < FXSAVE_SIZE + XSAVE_HEADER_SIZE) throw new RangeError(`an XSAVE image has at least 576 bytes, got ${xstate.length}`);
  const xcr0 = view(xstate).getBigUint64(FX_SW_BYTES_OFFSET, true);
  const mxcsrMask = opts.mxcsrMask ?? (view(xstate).getUint32(MXCSR_MASK_OFFSET, true) || MXCSR_DEFAULT_MASK);
  const components = opts.components ?? hostXsaveComponents(xcr0);
  return xsaveLayout(xcr0, { ...opts, ptraceSize: xstate.length, mxcsrMask, components });
}

/** Bytes a frame reserves for FP state: the image, plus FP_XSTATE_MAGIC2 for xsave. */
export function frameFpAreaSize(layout: FpuLayout): number {
  return layout.format === 'xsave' ? layout.size + FP_XSTATE_MAGIC2_SIZE : FXSAVE_SIZE;
}

/** Alignment the FP area needs (the 64 bytes Linux always uses, which FXRSTOR's 16 divides). */
export const FRAME_FP_ALIGNMENT = XSAVE_ALIGNMENT;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The FP area of a signal frame (frameFpAreaSize(layout) bytes) for the
 * thread state `state` as the platform read it: the image, Linux's
 * software-reserved bytes (FP_XSTATE_MAGIC1, extended size, features, image
 * size) and, for xsave, FP_XSTATE_MAGIC2 after the image. The XSAVE header
 * always claims the FP and SSE components, as Linux's does, so a handler that
 * edits only the legacy area still has its edits restored.
 */
export function encodeFrameFpState(state: Uint8Array, layout: FpuLayout): Uint8Array {
  const area = new Uint8Array(frameFpAreaSize(layout));
  const dv = view(area);
  if (layout.format === 'fxsave') {
    area.set(state.subarray(0, FXSAVE_SIZE));
    area.fill(0, FX_SW_BYTES_OFFSET, FXSAVE_SIZE);
    writeSwBytes(dv, FXSAVE_SIZE + FP_XSTATE_MAGIC2_SIZE, XFEATURE_FPSSE, FXSAVE_SIZE);
    return area;
  }
  area.set(state.subarray(0, layout.size));
  area.fill(0, FX_SW_BYTES_OFFSET, FXSAVE_SIZE);
  // Only XSTATE_BV is meaningful in a standard-format header; the rest is zero.
  area.fill(0, FXSAVE_SIZE + 8, FXSAVE_SIZE + XSAVE_HEADER_SIZE);
  const xstateBv = dv.getBigUint64(FXSAVE_SIZE, true);
  dv.setBigUint64(FXSAVE_SIZE, (xstateBv & layout.features) | XFEATURE_FPSSE, true);
  writeSwBytes(dv, layout.size + FP_XSTATE_MAGIC2_SIZE, layout.features, layout.size);
  dv.setUint32(layout.size, FP_XSTATE.MAGIC2, true);
  return area;
}

function writeSwBytes(dv: DataView, extendedSize: number, features: bigint, xstateSize: number): void {
  dv.setUint32(FX_SW_BYTES_OFFSET, FP_XSTATE.MAGIC1, true);
  dv.setUint32(FX_SW_BYTES_OFFSET + 4, extendedSize, true);
  dv.setBigUint64(FX_SW_BYTES_OFFSET + 8, features, true);
  dv.setUint32(FX_SW_BYTES_OFFSET + 16, xstateSize, true);
}

/**
 * The FP state a handler starts with (Linux resets the FPU on handler
 * entry), in the platform's format: x87 and SSE in their initial state
 * (FCW 0x37f, MXCSR 0x1f80) and every other component initial, except
 * PKRU, which Linux keeps, copied from `current`.
 */
export function handlerFpState(current: Uint8Array, layout: FpuLayout): Uint8Array {
  const out = new Uint8Array(layout.format === 'xsave' ? layout.ptraceSize : FXSAVE_SIZE);
  const dv = view(out);
  dv.setUint16(0, FCW_INIT, true);
  dv.setUint32(MXCSR_OFFSET, MXCSR_INIT, true);
  dv.setUint32(MXCSR_MASK_OFFSET, layout.mxcsrMask, true);
  if (layout.format === 'fxsave') return out;
  dv.setBigUint64(FX_SW_BYTES_OFFSET, layout.xcr0, true);
  let xstateBv = XFEATURE_FPSSE;
  const pkru = layout.components.get(XFEATURE.PKRU);
  if (pkru !== undefined && (layout.xcr0 & XFEATURE.PKRU) !== 0n && current.length >= pkru[0] + pkru[1]) {
    const curBv = view(current).getBigUint64(FXSAVE_SIZE, true);
    if ((curBv & XFEATURE.PKRU) !== 0n) {
      out.set(current.subarray(pkru[0], pkru[0] + pkru[1]), pkru[0]);
      xstateBv |= XFEATURE.PKRU;
    }
  }
  dv.setBigUint64(FXSAVE_SIZE, xstateBv, true);
  return out;
}

/** Outcome of reading the FP area rt_sigreturn restores. */
export type FpRestoreResult =
  | {
      readonly ok: true;
      /** The state to give the platform, in its format (xsave: ptraceSize bytes). */ readonly state: Uint8Array;
      /** True if the frame had no valid XSAVE magic and only x87/SSE state was taken. */ readonly legacyOnly: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * The FP state rt_sigreturn restores from the area at user address `addr`
 * (uc_mcontext.fpstate), following Linux:
 *
 * - `addr` 0: the FPU is reset (handlerFpState rules).
 * - xsave: if the software-reserved bytes lack FP_XSTATE_MAGIC1, give an
 *   image size out of range, or FP_XSTATE_MAGIC2 is missing after the
 *   image, only the legacy 512 bytes are restored (FXRSTOR: 16-byte
 *   alignment suffices) and every extended component becomes initial.
 *   Otherwise (XRSTOR: 64-byte alignment needed) the components named in
 *   both the frame's feature word and the layout are restored per
 *   XSTATE_BV, the rest made initial.
 * - fxsave: the 512 bytes at a 16-byte aligned address.
 *
 * What XRSTOR/FXRSTOR would fault on (MXCSR reserved bits, XSTATE_BV bits
 * outside XCR0, non-zero reserved header bytes) and unreadable memory give
 * `ok: false`: the kernel must then raise SIGSEGV.
 */
export function decodeFrameFpState(memory: UserMemoryReader, addr: number, layout: FpuLayout, current: Uint8Array): FpRestoreResult {
  if (addr === 0) return { ok: true, state: handlerFpState(current, layout), legacyOnly: false };
  if (layout.format === 'fxsave') {
    if (addr % FXSAVE_ALIGNMENT !== 0) return { ok: false, reason: 'fpstate not 16-byte aligned' };
    const legacy = memory.read(addr, FXSAVE_SIZE);
    if (legacy === null) return { ok: false, reason: 'fpstate unreadable' };
    if (!mxcsrValid(legacy, layout.mxcsrMask)) return { ok: false, reason: 'reserved MXCSR bits set' };
    legacy.fill(0, FX_SW_BYTES_OFFSET, FXSAVE_SIZE);
    return { ok: true, state: legacy, legacyOnly: true };
  }
  const legacy = memory.read(addr, FXSAVE_SIZE);
  if (legacy === null) return { ok: false, reason: 'fpstate unreadable' };
  const sw = view(legacy);
  const magic1 = sw.getUint32(FX_SW_BYTES_OFFSET, true);
  const extendedSize = sw.getUint32(FX_SW_BYTES_OFFSET + 4, true);
  const swFeatures = sw.getBigUint64(FX_SW_BYTES_OFFSET + 8, true);
  const xstateSize = sw.getUint32(FX_SW_BYTES_OFFSET + 16, true);

  let full = magic1 === FP_XSTATE.MAGIC1 && xstateSize >= FXSAVE_SIZE + XSAVE_HEADER_SIZE && xstateSize <= layout.size && xstateSize <= extendedSize;
  if (full) {
    const magic2 = memory.read(addr + xstateSize, FP_XSTATE_MAGIC2_SIZE);
    if (magic2 === null) return { ok: false, reason: 'FP_XSTATE_MAGIC2 unreadable' };
    full = view(magic2).getUint32(0, true) === FP_XSTATE.MAGIC2;
  }

  const out = new Uint8Array(layout.ptraceSize);
  const od = view(out);
  if (!full) {
    // FXRSTOR, which only needs 16-byte alignment.
    if (addr % FXSAVE_ALIGNMENT !== 0) return { ok: false, reason: 'fpstate not 16-byte aligned' };
    if (!mxcsrValid(legacy, layout.mxcsrMask)) return { ok: false, reason: 'reserved MXCSR bits set' };
    out.set(legacy);
    out.fill(0, FX_SW_BYTES_OFFSET, FXSAVE_SIZE);
    od.setBigUint64(FX_SW_BYTES_OFFSET, layout.xcr0, true);
    od.setBigUint64(FXSAVE_SIZE, XFEATURE_FPSSE, true);
    return { ok: true, state: out, legacyOnly: true };
  }

  // XRSTOR faults on an area that is not 64-byte aligned.
  if (addr % XSAVE_ALIGNMENT !== 0) return { ok: false, reason: 'fpstate not 64-byte aligned' };
  // XRSTOR reads every component at its standard offset, even past a smaller
  // xstate_size the frame declares; only the declared part must be readable.
  const image = memory.read(addr, layout.size) ?? memory.read(addr, xstateSize);
  if (image === null) return { ok: false, reason: 'fpstate unreadable' };
  const id = view(image);
  const xstateBv = id.getBigUint64(FXSAVE_SIZE, true);
  const restored = swFeatures & layout.features & layout.xcr0;
  if ((xstateBv & ~layout.xcr0) !== 0n) return { ok: false, reason: 'XSTATE_BV names components outside XCR0' };
  for (let b = FXSAVE_SIZE + 8; b < FXSAVE_SIZE + 24; b++) {
    if (image[b] !== 0) return { ok: false, reason: 'reserved XSAVE header bytes set' };
  }
  if ((restored & (XFEATURE.SSE | XFEATURE.YMM)) !== 0n && !mxcsrValid(image, layout.mxcsrMask)) {
    return { ok: false, reason: 'reserved MXCSR bits set' };
  }
  out.set(image.subarray(0, Math.min(image.length, out.length)));
  out.fill(0, FX_SW_BYTES_OFFSET, FXSAVE_SIZE);
  od.setBigUint64(FX_SW_BYTES_OFFSET, layout.xcr0, true);
  out.fill(0, FXSAVE_SIZE, FXSAVE_SIZE + XSAVE_HEADER_SIZE);
  od.setBigUint64(FXSAVE_SIZE, xstateBv & restored, true);
  return { ok: true, state: out, legacyOnly: false };
}

function mxcsrValid(legacy: Uint8Array, mask: number): boolean {
  return (view(legacy).getUint32(MXCSR_OFFSET, true) & ~mask) === 0;
}

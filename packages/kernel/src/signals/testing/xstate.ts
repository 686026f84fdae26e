// Test support: compares XSAVE images by the state they stand for, since a
// component whose XSTATE_BV bit is clear means "initial" whatever its bytes.
import { FCW_INIT, FXSAVE_SIZE, MXCSR_OFFSET, XFEATURE } from '../constants.js';
import type { XsaveLayout } from '../fpu.js';
import { Oracles, runLines } from './native.js';

/** FSW.ES: an unmasked x87 exception is pending. */
const FSW_ES = 0x80;
/** FOP, FIP and FDP: the x87 last-instruction opcode and pointers, bytes 6..24 of the legacy area. */
const X87_POINTERS = [6, 24] as const;

let pointersKept: boolean | undefined;
/**
 * Whether the host CPU's FXSAVE/XSAVE report FOP/FIP/FDP with FSW.ES clear
 * (fpu-pointers-probe.c). AMD CPUs write zeros there unless an exception is
 * pending (observed on this EPYC even with XSAVEERPTR listed), Intel CPUs
 * keep them; so on AMD they are not state a thread can observe, and an
 * image and the image the CPU would save back after restoring it stand for
 * the same state.
 */
function hostSavesX87PointersWithoutEs(): boolean {
  if (pointersKept === undefined) {
    const oracles = new Oracles();
    try {
      pointersKept = runLines(oracles.compile('fpu-pointers-probe'), [])[0]?.[1] === '1';
    } finally {
      oracles.dispose();
    }
  }
  return pointersKept;
}

/** The value of each state component of `image`, as hex, keyed by component. */
export function effectiveXstate(image: Uint8Array, layout: XsaveLayout): Record<string, string> {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const bv = dv.getBigUint64(FXSAVE_SIZE, true);
  const hex = (from: number, to: number): string => Buffer.from(image.subarray(from, to)).toString('hex');
  const zeros = (n: number): string => '00'.repeat(n);
  const x87Init = Buffer.alloc(24);
  x87Init.writeUInt16LE(FCW_INIT, 0);
  // The CPU reads FCW bit 6 (reserved) as 1 whatever FXRSTOR/XRSTOR loaded.
  const x87 = Buffer.from(image.subarray(0, 24));
  x87.writeUInt16LE(x87.readUInt16LE(0) | 0x40, 0);
  if ((x87.readUInt16LE(2) & FSW_ES) === 0 && !hostSavesX87PointersWithoutEs()) x87.fill(0, ...X87_POINTERS);
  const out: Record<string, string> = {
    x87: (bv & XFEATURE.FP) !== 0n ? x87.toString('hex') + hex(32, 160) : x87Init.toString('hex') + zeros(128),
    mxcsr: hex(MXCSR_OFFSET, MXCSR_OFFSET + 4),
    sse: (bv & XFEATURE.SSE) !== 0n ? hex(160, 416) : zeros(256),
  };
  for (const [bit, [offset, size]] of layout.components) {
    if ((layout.features & bit) === 0n || offset + size > image.length) continue;
    out[`bit${bit.toString(2).length - 1}`] = (bv & bit) !== 0n ? hex(offset, offset + size) : zeros(size);
  }
  return out;
}

// Test support: compares XSAVE images by the state they stand for, since a
// component whose XSTATE_BV bit is clear means "initial" whatever its bytes.
import { FCW_INIT, FXSAVE_SIZE, MXCSR_OFFSET, XFEATURE } from '../constants.js';
import type { XsaveLayout } from '../fpu.js';

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

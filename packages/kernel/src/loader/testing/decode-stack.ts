// Test support: reads an initial process stack back into its parts, the way
// a C runtime would, so a layout can be checked against its inputs.
import type { AuxvEntry } from '../load-program.js';

export interface DecodedStack {
  argc: number;
  argvAddrs: number[];
  envpAddrs: number[];
  argv: Uint8Array[];
  envp: Uint8Array[];
  auxv: AuxvEntry[];
  /** Address just past the AT_NULL pair. */
  auxvEnd: number;
}

/** Decodes `bytes`, which sit at address `sp` (bytes[0] is argc). */
export function decodeStack(bytes: Uint8Array, sp: number): DecodedStack {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const word = (): number => {
    const v = view.getBigUint64(at, true);
    at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`word ${v} too large`);
    return Number(v);
  };
  const cstr = (addr: number): Uint8Array => {
    const from = addr - sp;
    const nul = bytes.indexOf(0, from);
    if (from < 0 || nul < 0) throw new Error(`string at ${addr.toString(16)} outside the stack`);
    return bytes.slice(from, nul);
  };
  const argc = word();
  const argvAddrs = Array.from({ length: argc }, word);
  if (word() !== 0) throw new Error('argv not NULL-terminated');
  const envpAddrs: number[] = [];
  for (let p = word(); p !== 0; p = word()) envpAddrs.push(p);
  const auxv: AuxvEntry[] = [];
  for (;;) {
    const type = word();
    const value = word();
    if (type === 0) break;
    auxv.push([type, value]);
  }
  return {
    argc,
    argvAddrs,
    envpAddrs,
    argv: argvAddrs.map(cstr),
    envp: envpAddrs.map(cstr),
    auxv,
    auxvEnd: sp + at,
  };
}

/** The bytes of the C string at `addr`. */
export function cStringAt(bytes: Uint8Array, sp: number, addr: number): Uint8Array {
  const from = addr - sp;
  return bytes.slice(from, bytes.indexOf(0, from));
}

// Test support: writes minimal ELF64 x86-64 files from a description, for
// cases a compiler will not produce (shared pages, hostile headers).
import { ET } from '@tvisor/abi';

export interface PhdrSpec {
  type: number;
  flags: number;
  offset: number | bigint;
  vaddr: number | bigint;
  filesz: number | bigint;
  memsz: number | bigint;
  align?: number | bigint;
}

export interface ElfSpec {
  type?: number;
  entry?: number | bigint;
  phdrs: PhdrSpec[];
  /** Total file size; the bytes after the headers are a recognizable pattern. */
  size: number;
  /** Bytes written at given offsets after the headers (e.g. a PT_INTERP string). */
  data?: [offset: number, bytes: Uint8Array][];
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const phoff = 64;
  const out = new Uint8Array(Math.max(spec.size, phoff + spec.phdrs.length * 56));
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + 3) & 0xff;
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  view.setUint16(16, spec.type ?? ET.EXEC, true);
  view.setUint16(18, 62, true);
  view.setUint32(20, 1, true);
  view.setBigUint64(24, BigInt(spec.entry ?? 0x401000), true);
  view.setBigUint64(32, BigInt(phoff), true);
  view.setBigUint64(40, 0n, true);
  view.setUint32(48, 0, true);
  view.setUint16(52, 64, true);
  view.setUint16(54, 56, true);
  view.setUint16(56, spec.phdrs.length, true);
  view.setUint16(58, 64, true);
  view.setUint16(60, 0, true);
  view.setUint16(62, 0, true);
  spec.phdrs.forEach((ph, i) => {
    const at = phoff + i * 56;
    view.setUint32(at, ph.type, true);
    view.setUint32(at + 4, ph.flags, true);
    view.setBigUint64(at + 8, BigInt(ph.offset), true);
    view.setBigUint64(at + 16, BigInt(ph.vaddr), true);
    view.setBigUint64(at + 24, BigInt(ph.vaddr), true);
    view.setBigUint64(at + 32, BigInt(ph.filesz), true);
    view.setBigUint64(at + 40, BigInt(ph.memsz), true);
    view.setBigUint64(at + 48, BigInt(ph.align ?? 0x1000), true);
  });
  for (const [offset, bytes] of spec.data ?? []) out.set(bytes, offset);
  return out;
}

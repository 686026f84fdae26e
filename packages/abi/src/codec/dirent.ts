import type { FieldLayout, RecordCodec } from './types.js';

/**
 * One getdents64(2) record. d_ino and d_off are bigint: inode numbers may use
 * all 64 bits and d_off is an opaque cookie (ext4 hashes use the full range).
 */
export interface LinuxDirent64 {
  d_ino: bigint;
  d_off: bigint;
  /** A DT value. */
  d_type: number;
  d_name: string;
}

const NAME = 19;
const ALIGN = 8;
const int = (bytes: 1 | 2 | 8, signed: boolean, big: boolean) => ({ kind: 'int', bytes, signed, big, bigEndian: false }) as const;
const FIELDS: readonly FieldLayout[] = [
  { name: 'd_ino', c: 'd_ino', offset: 0, size: 8, type: int(8, false, true) },
  { name: 'd_off', c: 'd_off', offset: 8, size: 8, type: int(8, true, true) },
  { name: 'd_reclen', c: 'd_reclen', offset: 16, size: 2, type: int(2, false, false) },
  { name: 'd_type', c: 'd_type', offset: 18, size: 1, type: int(1, false, false) },
  { name: 'd_name', c: 'd_name', offset: NAME, size: 256, type: { kind: 'cstr', length: 256 } },
];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Bytes of `s` in UTF-8, without encoding it (abi runs anywhere, so it cannot lean on Node). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function sizeFor(nameBytes: number): number {
  return (NAME + nameBytes + 1 + ALIGN - 1) & ~(ALIGN - 1);
}

/** linux_dirent64 records: header, NUL-terminated UTF-8 name, zero padding to 8 bytes. */
export const LinuxDirent64: RecordCodec<LinuxDirent64> = {
  cType: 'struct dirent64',
  fields: FIELDS,
  align: ALIGN,
  recordSize(value: LinuxDirent64): number {
    return sizeFor(utf8Length(value.d_name));
  },
  encode(view: DataView, offset: number, value: LinuxDirent64): number {
    const reclen = sizeFor(utf8Length(value.d_name));
    if (offset + reclen > view.byteLength) return 0;
    view.setBigUint64(offset, value.d_ino, true);
    view.setBigInt64(offset + 8, value.d_off, true);
    view.setUint16(offset + 16, reclen, true);
    view.setUint8(offset + 18, value.d_type);
    const name = new Uint8Array(view.buffer, view.byteOffset + offset + NAME, reclen - NAME);
    const { written } = utf8Encoder.encodeInto(value.d_name, name);
    name.fill(0, written);
    return reclen;
  },
  decode(view: DataView, offset: number): LinuxDirent64 {
    const reclen = view.getUint16(offset + 16, true);
    const name = new Uint8Array(view.buffer, view.byteOffset + offset + NAME, reclen - NAME);
    const end = name.indexOf(0);
    return {
      d_ino: view.getBigUint64(offset, true),
      d_off: view.getBigInt64(offset + 8, true),
      d_type: view.getUint8(offset + 18),
      d_name: utf8Decoder.decode(end < 0 ? name : name.subarray(0, end)),
    };
  },
  recordLength(view: DataView, offset: number): number {
    return view.getUint16(offset + 16, true);
  },
};

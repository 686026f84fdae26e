import type { FieldType, StructCodec } from './types.js';

/** One member of a struct spec: its layout plus how to read and write it. */
export interface Field<V> {
  readonly offset: number;
  readonly size: number;
  readonly type: FieldType;
  /** C designator when it differs from the TypeScript key. */
  readonly c: string | undefined;
  read(view: DataView, at: number): V;
  write(view: DataView, at: number, value: V): void;
}

const TWO32 = 4294967296;
const LE = true;

function int(bytes: 1 | 2 | 4 | 8, signed: boolean, big: boolean, bigEndian = false): FieldType {
  return { kind: 'int', bytes, signed, big, bigEndian };
}

// 64-bit values as numbers avoid a bigint allocation; they are exact up to
// 2^53, which covers sizes, times and addresses.
function readU64(view: DataView, at: number): number {
  return view.getUint32(at + 4, LE) * TWO32 + view.getUint32(at, LE);
}
function readI64(view: DataView, at: number): number {
  return view.getInt32(at + 4, LE) * TWO32 + view.getUint32(at, LE);
}
function write64(view: DataView, at: number, v: number): void {
  view.setUint32(at, v >>> 0, LE);
  view.setUint32(at + 4, Math.floor(v / TWO32) >>> 0, LE);
}

function field<V>(
  offset: number,
  size: number,
  type: FieldType,
  c: string | undefined,
  read: (view: DataView, at: number) => V,
  write: (view: DataView, at: number, value: V) => void,
): Field<V> {
  return { offset, size, type, c, read, write };
}

export const u8 = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    1,
    int(1, false, false),
    c,
    (v, a) => v.getUint8(a),
    (v, a, x) => v.setUint8(a, x),
  );
export const i8 = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    1,
    int(1, true, false),
    c,
    (v, a) => v.getInt8(a),
    (v, a, x) => v.setInt8(a, x),
  );
export const u16 = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    2,
    int(2, false, false),
    c,
    (v, a) => v.getUint16(a, LE),
    (v, a, x) => v.setUint16(a, x, LE),
  );
export const i16 = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    2,
    int(2, true, false),
    c,
    (v, a) => v.getInt16(a, LE),
    (v, a, x) => v.setInt16(a, x, LE),
  );
/** Big-endian (network order) u16, e.g. a port; the value is in host order. */
export const u16be = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    2,
    int(2, false, false, true),
    c,
    (v, a) => v.getUint16(a, false),
    (v, a, x) => v.setUint16(a, x, false),
  );
export const u32 = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    4,
    int(4, false, false),
    c,
    (v, a) => v.getUint32(a, LE),
    (v, a, x) => v.setUint32(a, x, LE),
  );
export const i32 = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    4,
    int(4, true, false),
    c,
    (v, a) => v.getInt32(a, LE),
    (v, a, x) => v.setInt32(a, x, LE),
  );
/** Big-endian (network order) u32; the value is in host order. */
export const u32be = (offset: number, c?: string): Field<number> =>
  field(
    offset,
    4,
    int(4, false, false, true),
    c,
    (v, a) => v.getUint32(a, false),
    (v, a, x) => v.setUint32(a, x, false),
  );
/** u64 as a number: exact for values below 2^53. */
export const u64 = (offset: number, c?: string): Field<number> => field(offset, 8, int(8, false, false), c, readU64, write64);
/** i64 as a number: exact for |values| up to 2^53. */
export const i64 = (offset: number, c?: string): Field<number> => field(offset, 8, int(8, true, false), c, readI64, write64);
/** u64 as a bigint: exact over the whole range (masks, inode numbers, cookies). */
export const u64n = (offset: number, c?: string): Field<bigint> =>
  field(
    offset,
    8,
    int(8, false, true),
    c,
    (v, a) => v.getBigUint64(a, LE),
    (v, a, x) => v.setBigUint64(a, x, LE),
  );
/** i64 as a bigint. */
export const i64n = (offset: number, c?: string): Field<bigint> =>
  field(
    offset,
    8,
    int(8, true, true),
    c,
    (v, a) => v.getBigInt64(a, LE),
    (v, a, x) => v.setBigInt64(a, x, LE),
  );

/** A raw byte array of `length` bytes; decode copies. */
export const bytes = (offset: number, length: number, c?: string): Field<Uint8Array> =>
  field(
    offset,
    length,
    { kind: 'bytes', length },
    c,
    (v, a) => new Uint8Array(v.buffer.slice(v.byteOffset + a, v.byteOffset + a + length)),
    (v, a, x) => {
      const dst = new Uint8Array(v.buffer, v.byteOffset + a, length);
      dst.fill(0);
      dst.set(x.length > length ? x.subarray(0, length) : x);
    },
  );

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * A NUL-terminated char[length] holding UTF-8 text. Encoding truncates to
 * length-1 bytes (always leaves a NUL) and zero-fills the rest.
 */
export const cstr = (offset: number, length: number, c?: string): Field<string> =>
  field(
    offset,
    length,
    { kind: 'cstr', length },
    c,
    (v, a) => {
      const src = new Uint8Array(v.buffer, v.byteOffset + a, length);
      const end = src.indexOf(0);
      return utf8Decoder.decode(end < 0 ? src : src.subarray(0, end));
    },
    (v, a, x) => {
      const dst = new Uint8Array(v.buffer, v.byteOffset + a, length);
      const { written } = utf8Encoder.encodeInto(x, dst.subarray(0, length - 1));
      dst.fill(0, written);
    },
  );

function element(bytesEach: 1 | 2 | 4 | 8, signed: boolean): Field<number> {
  switch (bytesEach) {
    case 1:
      return signed ? i8(0) : u8(0);
    case 2:
      return signed ? i16(0) : u16(0);
    case 4:
      return signed ? i32(0) : u32(0);
    case 8:
      return signed ? i64(0) : u64(0);
  }
}

/** A fixed array of `count` little-endian integers of `bytes` bytes each. */
export function ints(offset: number, bytesEach: 1 | 2 | 4 | 8, signed: boolean, count: number, c?: string): Field<number[]> {
  const el = element(bytesEach, signed);
  return field(
    offset,
    bytesEach * count,
    { kind: 'array', bytes: bytesEach, signed, big: false, count },
    c,
    (v, a) => {
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = el.read(v, a + i * bytesEach);
      return out;
    },
    (v, a, x) => {
      for (let i = 0; i < count; i++) el.write(v, a + i * bytesEach, x[i] ?? 0);
    },
  );
}

/** A fixed array of `count` 64-bit integers as bigints (exact over the whole range). */
export function bigints(offset: number, signed: boolean, count: number, c?: string): Field<bigint[]> {
  return field(
    offset,
    8 * count,
    { kind: 'array', bytes: 8, signed, big: true, count },
    c,
    (v, a) => {
      const out = new Array<bigint>(count);
      for (let i = 0; i < count; i++) out[i] = signed ? v.getBigInt64(a + 8 * i, LE) : v.getBigUint64(a + 8 * i, LE);
      return out;
    },
    (v, a, x) => {
      for (let i = 0; i < count; i++) {
        if (signed) v.setBigInt64(a + 8 * i, x[i] ?? 0n, LE);
        else v.setBigUint64(a + 8 * i, x[i] ?? 0n, LE);
      }
    },
  );
}

/** An embedded struct. */
export const nested = <T>(offset: number, codec: StructCodec<T>, c?: string): Field<T> =>
  field(
    offset,
    codec.size,
    { kind: 'struct', codec: codec as StructCodec<unknown> },
    c,
    (v, a) => codec.decode(v, a),
    (v, a, x) => codec.encode(v, a, x),
  );

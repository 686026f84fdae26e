/**
 * Codecs translate between a C struct laid out in memory (read through a
 * DataView, always little-endian x86-64 layout unless a field says otherwise)
 * and a plain TypeScript value.
 */

/** How one field is stored. */
export type FieldType =
  /** An integer; `big` ones are `bigint` in TypeScript, others `number`. */
  | { readonly kind: 'int'; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean; readonly big: boolean; readonly bigEndian: boolean }
  /** A fixed-size byte array (`Uint8Array` of exactly `length` bytes). */
  | { readonly kind: 'bytes'; readonly length: number }
  /** A fixed-size NUL-terminated char array holding a UTF-8 string. */
  | { readonly kind: 'cstr'; readonly length: number }
  /** A fixed-size array of `count` little-endian integers (`number[]`, or `bigint[]` when `big`). */
  | { readonly kind: 'array'; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean; readonly big: boolean; readonly count: number }
  /** An embedded struct. */
  | { readonly kind: 'struct'; readonly codec: StructCodec<unknown> };

/** Where one member of a C struct lives. */
export interface FieldLayout {
  /** Key of the member in the TypeScript value. */
  readonly name: string;
  /** Member designator in C, as written in `offsetof(cType, <c>)`. */
  readonly c: string;
  /** Byte offset from the start of the struct. */
  readonly offset: number;
  /** Byte size of the member. */
  readonly size: number;
  readonly type: FieldType;
}

/** A fixed-size C struct. */
export interface StructCodec<T> {
  /** C type name used by the header-conformance test, e.g. `'struct stat'`. */
  readonly cType: string;
  /** sizeof(cType). */
  readonly size: number;
  /** Every member the codec reads or writes; gaps between them are padding. */
  readonly fields: readonly FieldLayout[];
  /**
   * Writes `value` at `offset`: every field, and zeroes for padding. Never
   * touches bytes outside [offset, offset + size). Integers wrap silently if
   * out of range; callers pass valid values.
   */
  encode(view: DataView, offset: number, value: T): void;
  /** Reads a fresh value from the `size` bytes at `offset`. */
  decode(view: DataView, offset: number): T;
}

/** The TypeScript value type of a codec. */
export type ValueOf<C> = C extends StructCodec<infer T> ? T : never;

/** A variable-length record (e.g. linux_dirent64) packed back to back in a buffer. */
export interface RecordCodec<T> {
  /** C type whose fixed members the header-conformance test checks. */
  readonly cType: string;
  /** The fixed members, plus the trailing name at its offset. */
  readonly fields: readonly FieldLayout[];
  /** Alignment of every record's length. */
  readonly align: number;
  /** Bytes `value` occupies, padding included. */
  recordSize(value: T): number;
  /**
   * Writes `value` at `offset` if the whole record fits before the end of
   * `view`, zero-filling its padding, and returns its length; returns 0 and
   * writes nothing when it does not fit.
   */
  encode(view: DataView, offset: number, value: T): number;
  /** Reads the record at `offset`; its length is `recordLength(view, offset)`. */
  decode(view: DataView, offset: number): T;
  /** Length of the record at `offset`, as stored in it. */
  recordLength(view: DataView, offset: number): number;
}

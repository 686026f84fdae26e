import type { Field } from './fields.js';
import type { FieldLayout, StructCodec } from './types.js';

/** One Field per key of the value type, in memory order. */
export type StructSpec<T> = { readonly [K in keyof T]-?: Field<T[K]> };

type Reader = (view: DataView, at: number) => unknown;
type Writer = (view: DataView, at: number, value: unknown) => void;

/**
 * Builds a codec for C type `cType` of `size` bytes from a field spec. The
 * spec's layout is what the header-conformance test checks against gcc.
 */
export function struct<T>(cType: string, size: number, spec: StructSpec<T>): StructCodec<T> {
  const entries = Object.entries(spec) as [string, Field<unknown>][];
  const fields: FieldLayout[] = entries.map(([name, f]) => ({ name, c: f.c ?? name, offset: f.offset, size: f.size, type: f.type }));
  for (const f of fields) {
    if (f.offset < 0 || f.offset + f.size > size) throw new RangeError(`${cType}.${f.name} lies outside ${size} bytes`);
  }
  const gaps = paddingOf(fields, size);
  // Compiled at first use, not here: a process uses few of the many codecs,
  // and each compile (new Function) costs start-up time in every process
  // that loads the package (the OCI commands use none). The first call puts
  // the compiled function in the codec's place; a caller that kept the
  // first one calls through the closure's copy.
  let encode: StructCodec<T>['encode'] | undefined;
  let decode: StructCodec<T>['decode'] | undefined;
  const codec: StructCodec<T> = {
    cType,
    size,
    fields,
    encode(view, offset, value) {
      encode ??= codec.encode = compileEncode<T>(entries, gaps);
      encode(view, offset, value);
    },
    decode(view, offset) {
      decode ??= codec.decode = compileDecode<T>(entries);
      return decode(view, offset);
    },
  };
  return codec;
}

// Codecs sit on hot paths (stat, getdents, signal frames). A loop over the
// fields would make one megamorphic call site and build objects key by key;
// straight-line code generated once per struct gives every field its own
// call site and every decoded value one fixed shape.

function compileEncode<T>(entries: readonly [string, Field<unknown>][], gaps: readonly number[]): (view: DataView, offset: number, value: T) => void {
  const lines: string[] = [];
  for (let i = 0; i < gaps.length; i += 2) {
    let b = gaps[i];
    for (; b + 4 <= gaps[i + 1]; b += 4) lines.push(`view.setUint32(offset + ${b}, 0);`);
    for (; b < gaps[i + 1]; b++) lines.push(`view.setUint8(offset + ${b}, 0);`);
  }
  entries.forEach(([name, f], i) => lines.push(`w${i}(view, offset + ${f.offset}, value[${JSON.stringify(name)}]);`));
  const make = new Function(...entries.map((_, i) => `w${i}`), `return function encode(view, offset, value) {\n${lines.join('\n')}\n};`);
  return make(...entries.map(([, f]): Writer => f.write));
}

function compileDecode<T>(entries: readonly [string, Field<unknown>][]): (view: DataView, offset: number) => T {
  const props = entries.map(([name, f], i) => `${JSON.stringify(name)}: r${i}(view, offset + ${f.offset})`);
  const make = new Function(...entries.map((_, i) => `r${i}`), `return function decode(view, offset) {\nreturn { ${props.join(', ')} };\n};`);
  return make(...entries.map(([, f]): Reader => f.read));
}

/** Byte ranges [start, end) not covered by any field, flattened. */
function paddingOf(fields: readonly FieldLayout[], size: number): number[] {
  const covered = new Uint8Array(size);
  for (const f of fields) {
    if (covered.subarray(f.offset, f.offset + f.size).some((b) => b !== 0)) throw new RangeError(`field ${f.name} overlaps another`);
    covered.fill(1, f.offset, f.offset + f.size);
  }
  const gaps: number[] = [];
  for (let b = 0; b < size; b++) {
    if (covered[b]) continue;
    const start = b;
    while (b < size && !covered[b]) b++;
    gaps.push(start, b);
  }
  return gaps;
}

/**
 * A codec for a scalar C type (e.g. sigset_t): its one field has the empty
 * name and covers the whole type, and the value is the field's value.
 */
export function scalar<V>(cType: string, field: Field<V>): StructCodec<V> {
  if (field.offset !== 0) throw new RangeError(`${cType}: a scalar starts at offset 0`);
  return {
    cType,
    size: field.size,
    fields: [{ name: '', c: '', offset: 0, size: field.size, type: field.type }],
    encode: (view, offset, value) => field.write(view, offset, value),
    decode: (view, offset) => field.read(view, offset),
  };
}

/** `value` as a fresh buffer of exactly `codec.size` bytes: what a syscall copies out to the application. */
export function encodeStruct<T>(codec: StructCodec<T>, value: T): Uint8Array {
  const out = new Uint8Array(codec.size);
  codec.encode(new DataView(out.buffer), 0, value);
  return out;
}

/**
 * The struct in the first `codec.size` bytes of `bytes` (e.g. what a syscall
 * copied in from the application), wherever `bytes` sits in its buffer.
 * Throws RangeError when `bytes` is shorter than the struct.
 */
export function decodeStruct<T>(codec: StructCodec<T>, bytes: Uint8Array): T {
  if (bytes.byteLength < codec.size) throw new RangeError(`${codec.cType}: ${bytes.byteLength} bytes, need ${codec.size}`);
  return codec.decode(new DataView(bytes.buffer, bytes.byteOffset, codec.size), 0);
}

import type { Field } from './fields.js';
import type { FieldLayout, StructCodec } from './types.js';

/** One Field per key of the value type, in memory order. */
export type StructSpec<T> = { readonly [K in keyof T]-?: Field<T[K]> };

interface Compiled {
  readonly name: string;
  readonly offset: number;
  read(view: DataView, at: number): unknown;
  write(view: DataView, at: number, value: unknown): void;
}

/**
 * Builds a codec for C type `cType` of `size` bytes from a field spec. The
 * spec's layout is what the header-conformance test checks against gcc.
 */
export function struct<T>(cType: string, size: number, spec: StructSpec<T>): StructCodec<T> {
  const entries = Object.entries(spec) as [string, Field<unknown>][];
  const fields: FieldLayout[] = entries.map(([name, f]) => ({ name, c: f.c ?? name, offset: f.offset, size: f.size, type: f.type }));
  const compiled: Compiled[] = entries.map(([name, f]) => ({ name, offset: f.offset, read: f.read, write: f.write }));
  for (const f of fields) {
    if (f.offset < 0 || f.offset + f.size > size) throw new RangeError(`${cType}.${f.name} lies outside ${size} bytes`);
  }
  const gaps = paddingOf(fields, size);
  return {
    cType,
    size,
    fields,
    encode(view: DataView, offset: number, value: T): void {
      for (let i = 0; i < gaps.length; i += 2) {
        for (let b = gaps[i]; b < gaps[i + 1]; b++) view.setUint8(offset + b, 0);
      }
      const v = value as Record<string, unknown>;
      for (const f of compiled) f.write(view, offset + f.offset, v[f.name]);
    },
    decode(view: DataView, offset: number): T {
      const out: Record<string, unknown> = {};
      for (const f of compiled) out[f.name] = f.read(view, offset + f.offset);
      return out as T;
    },
  };
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

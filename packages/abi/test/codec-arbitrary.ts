import fc from 'fast-check';
import type { FieldLayout, FieldType, StructCodec } from '../src/index.js';

const INT_RANGE: Record<number, [number, number]> = { 1: [0, 0xff], 2: [0, 0xffff], 4: [0, 0xffffffff] };

function intArb(bytes: 1 | 2 | 4 | 8, signed: boolean, big: boolean): fc.Arbitrary<unknown> {
  if (big) {
    const bits = BigInt(bytes * 8);
    return signed ? fc.bigInt({ min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n }) : fc.bigInt({ min: 0n, max: (1n << bits) - 1n });
  }
  if (bytes === 8) return signed ? fc.maxSafeInteger() : fc.maxSafeNat();
  const [min, max] = INT_RANGE[bytes];
  const half = (max + 1) / 2;
  return signed ? fc.integer({ min: -half, max: half - 1 }) : fc.integer({ min, max });
}

/** Values a field of this type can hold exactly (so decode(encode(x)) must give x back). */
export function typeArb(type: FieldType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'int':
      return intArb(type.bytes, type.signed, type.big);
    case 'bytes':
      return fc.uint8Array({ minLength: type.length, maxLength: type.length });
    case 'cstr':
      return fc.string({ unit: 'grapheme-ascii', maxLength: type.length - 1 });
    case 'array':
      return fc.array(intArb(type.bytes, type.signed, type.big), { minLength: type.count, maxLength: type.count });
    case 'struct':
      return codecArb(type.codec);
  }
}

/** Arbitrary values of a codec's TypeScript type, derived from its field list. */
export function codecArb(codec: StructCodec<unknown>): fc.Arbitrary<unknown> {
  const first = codec.fields[0];
  if (codec.fields.length === 1 && first.name === '') return typeArb(first.type);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of codec.fields) model[f.name] = typeArb(f.type);
  return fc.record(model);
}

/** Reads an int field straight from memory, independently of the codec. */
export function readIntDirect(view: DataView, at: number, f: FieldLayout): unknown {
  if (f.type.kind !== 'int') throw new Error('not an int');
  const { bytes, signed, big, bigEndian } = f.type;
  const le = !bigEndian;
  if (bytes === 1) return signed ? view.getInt8(at) : view.getUint8(at);
  if (bytes === 2) return signed ? view.getInt16(at, le) : view.getUint16(at, le);
  if (bytes === 4) return signed ? view.getInt32(at, le) : view.getUint32(at, le);
  const v = signed ? view.getBigInt64(at, le) : view.getBigUint64(at, le);
  return big ? v : Number(v);
}

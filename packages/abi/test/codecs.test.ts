import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as abi from '../src/index.js';
import type { FieldLayout, StructCodec } from '../src/index.js';
import { LinuxDirent64 } from '../src/index.js';
import { codecArb, readIntDirect } from './codec-arbitrary.js';
import { classify } from './header-check/c-source.js';

const CANARY = 0xa5;
const PAD = 24;
const RUNS = { numRuns: 100 };

const codecs = Object.entries(abi as unknown as Record<string, unknown>)
  .filter(([n, v]) => classify(n, v) === 'codec')
  .map(([n, v]) => [n, v as StructCodec<unknown>] as const);

/** Checks every int field of `value` sits at its declared offset in memory. */
function checkFieldsInMemory(view: DataView, at: number, fields: readonly FieldLayout[], value: unknown): void {
  for (const f of fields) {
    const v = f.name === '' ? value : (value as Record<string, unknown>)[f.name];
    if (f.type.kind === 'int') expect(readIntDirect(view, at + f.offset, f), f.name).toEqual(v);
    if (f.type.kind === 'struct') checkFieldsInMemory(view, at + f.offset, f.type.codec.fields, v);
  }
}

/** Byte ranges the codec's fields cover, recursively flattened. */
function covered(fields: readonly FieldLayout[], base: number, out: Uint8Array): void {
  for (const f of fields) out.fill(1, base + f.offset, base + f.offset + f.size);
}

describe('struct codecs', () => {
  it('there are codecs to test', () => {
    expect(codecs.length).toBeGreaterThan(40);
  });

  for (const [name, codec] of codecs) {
    it(`${name}: decode(encode(x)) == x, fields land at their offsets, nothing written outside, padding zeroed`, () => {
      const mask = new Uint8Array(codec.size);
      covered(codec.fields, 0, mask);
      fc.assert(
        fc.property(codecArb(codec), (value) => {
          const buf = new Uint8Array(codec.size + 2 * PAD).fill(CANARY);
          const view = new DataView(buf.buffer, 0);
          codec.encode(view, PAD, value);
          const outside = [...buf.subarray(0, PAD), ...buf.subarray(PAD + codec.size)].filter((b) => b !== CANARY);
          expect(outside).toEqual([]);
          const dirtyPadding = mask.reduce<number[]>((bad, m, i) => (m === 0 && buf[PAD + i] !== 0 ? [...bad, i] : bad), []);
          expect(dirtyPadding).toEqual([]);
          checkFieldsInMemory(view, PAD, codec.fields, value);
          expect(codec.decode(view, PAD)).toEqual(value);
        }),
        RUNS,
      );
    });
  }

  it('encodeStruct and decodeStruct round-trip through a subarray, and a short buffer is a RangeError', () => {
    fc.assert(
      fc.property(codecArb(abi.Stat), fc.nat(16), (value, lead) => {
        const bytes = abi.encodeStruct(abi.Stat, value);
        expect(bytes.byteLength).toBe(abi.Stat.size);
        const buf = new Uint8Array(lead + bytes.byteLength + 8).fill(CANARY);
        buf.set(bytes, lead);
        expect(abi.decodeStruct(abi.Stat, buf.subarray(lead))).toEqual(value);
      }),
      RUNS,
    );
    expect(() => abi.decodeStruct(abi.Timespec, new Uint8Array(abi.Timespec.size - 1))).toThrow(RangeError);
  });

  it('decode works through a DataView that does not start at its buffer', () => {
    const buf = new Uint8Array(64);
    const view = new DataView(buf.buffer, 8, 32);
    abi.Timespec.encode(view, 4, { tv_sec: -3, tv_nsec: 999_999_999 });
    expect(new DataView(buf.buffer).getBigInt64(12, true)).toBe(-3n);
    expect(abi.Timespec.decode(view, 4)).toEqual({ tv_sec: -3, tv_nsec: 999_999_999 });
  });

  it('sockaddr ports are stored in network byte order', () => {
    const buf = new Uint8Array(abi.SockaddrIn.size);
    abi.SockaddrIn.encode(new DataView(buf.buffer), 0, { sin_family: abi.AF.INET, sin_port: 0x1f90, sin_addr: Uint8Array.of(127, 0, 0, 1) });
    expect([...buf.subarray(0, 8)]).toEqual([2, 0, 0x1f, 0x90, 127, 0, 0, 1]);
  });

  it('cstr fields truncate to leave a NUL', () => {
    const buf = new Uint8Array(abi.Utsname.size).fill(0xff);
    const long = 'x'.repeat(100);
    const value = { sysname: long, nodename: 'n', release: '', version: 'v', machine: 'x86_64', domainname: '(none)' };
    abi.Utsname.encode(new DataView(buf.buffer), 0, value);
    expect(buf[64]).toBe(0);
    expect(abi.Utsname.decode(new DataView(buf.buffer), 0).sysname).toBe('x'.repeat(64));
  });
});

describe('linux_dirent64 records', () => {
  const direntArb = fc.record({
    d_ino: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    d_off: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
    d_type: fc.integer({ min: 0, max: 255 }),
    d_name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\0') && Buffer.byteLength(s) <= 255),
  });

  it('round-trip, 8-byte aligned lengths, nothing written past the record', () => {
    fc.assert(
      fc.property(direntArb, fc.integer({ min: 0, max: 3 }), (d, slot) => {
        const at = slot * 8;
        const buf = new Uint8Array(at + 300).fill(CANARY);
        const view = new DataView(buf.buffer);
        const n = LinuxDirent64.encode(view, at, d);
        expect(n).toBe(LinuxDirent64.recordSize(d));
        expect(n % 8).toBe(0);
        expect(n).toBeGreaterThanOrEqual(19 + Buffer.byteLength(d.d_name) + 1);
        expect(LinuxDirent64.recordLength(view, at)).toBe(n);
        expect(buf.subarray(0, at).every((b) => b === CANARY)).toBe(true);
        expect(buf.subarray(at + n).every((b) => b === CANARY)).toBe(true);
        expect(LinuxDirent64.decode(view, at)).toEqual(d);
      }),
      RUNS,
    );
  });

  it('refuses a record that does not fit and writes nothing', () => {
    fc.assert(
      fc.property(direntArb, (d) => {
        const size = LinuxDirent64.recordSize(d);
        const buf = new Uint8Array(size - 1).fill(CANARY);
        expect(LinuxDirent64.encode(new DataView(buf.buffer), 0, d)).toBe(0);
        expect(buf.every((b) => b === CANARY)).toBe(true);
      }),
      RUNS,
    );
  });

  it('packs records back to back', () => {
    const buf = new Uint8Array(256);
    const view = new DataView(buf.buffer);
    let used = 0;
    for (const name of ['.', '..', 'hello.txt'])
      used += LinuxDirent64.encode(view, used, { d_ino: 1n, d_off: BigInt(used + 1), d_type: abi.DT.REG, d_name: name });
    const names: string[] = [];
    for (let at = 0; at < used; at += LinuxDirent64.recordLength(view, at)) names.push(LinuxDirent64.decode(view, at).d_name);
    expect(names).toEqual(['.', '..', 'hello.txt']);
    expect(used).toBe(24 + 24 + 32);
  });
});

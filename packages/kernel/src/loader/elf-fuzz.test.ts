import { Errno, ET, PF, PT, SysError } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE, USER_ADDRESS_LIMIT } from './elf-constants.js';
import { parseElf, type FileReader } from './elf-image.js';
import { defaultLoadBias, planLoad, type LoadPlan } from './load-plan.js';
import { loadProgram } from './load-program.js';
import { buildElf } from './testing/elf-builder.js';
import { buildProbes, type Kind } from './testing/fixtures.js';
import { bytesFile, readBytes, type Scratch } from './testing/native.js';
import { SparseMemory } from './testing/sparse-memory.js';

const NUM_RUNS = 300;

let scratch: Scratch;
let binaries: Record<Kind, string>;
beforeAll(() => ({ scratch, binaries } = buildProbes()));
afterAll(() => scratch.dispose());

/**
 * What execve may answer for a malformed image: ENOEXEC, ENOMEM (segments past
 * the address space), EINVAL (a file offset mmap refuses, a PIE that wraps)
 * and EACCES (an empty PT_INTERP path names the working directory).
 */
const LOADER_ERRNOS: readonly number[] = [Errno.ENOEXEC, Errno.ENOMEM, Errno.EINVAL, Errno.EACCES];

/** Parses and plans; fails the property on an errno outside LOADER_ERRNOS or a broken plan. */
function parseAndPlan(read: FileReader, size: number): LoadPlan | number {
  try {
    const image = parseElf(read, size);
    const plan = planLoad(image, defaultLoadBias(image));
    checkPlan(plan);
    return plan;
  } catch (err) {
    if (!(err instanceof SysError)) throw err;
    expect(LOADER_ERRNOS).toContain(err.errno);
    return err.errno;
  }
}

function checkPlan(plan: LoadPlan): void {
  let previousEnd = 0;
  for (const m of plan.mappings) {
    expect(m.start % PAGE_SIZE).toBe(0);
    expect(m.length % PAGE_SIZE).toBe(0);
    expect(m.length).toBeGreaterThan(0);
    expect(m.start).toBeGreaterThanOrEqual(previousEnd);
    expect(m.start + m.length).toBeLessThanOrEqual(USER_ADDRESS_LIMIT);
    expect(m.fileLength).toBeLessThanOrEqual(m.length);
    // File bytes may lie past EOF (they load as zeros, as Linux maps them), but never at a negative offset.
    if (m.fileLength > 0) {
      expect(m.fileOffset % PAGE_SIZE).toBe(0);
      expect(m.fileOffset).toBeGreaterThanOrEqual(0);
      expect(Number.isSafeInteger(m.fileOffset + m.fileLength)).toBe(true);
    }
    previousEnd = m.start + m.length;
  }
  expect(plan.brkStart).toBeLessThanOrEqual(USER_ADDRESS_LIMIT);
  expect(plan.brkStart % PAGE_SIZE).toBe(0);
}

/** A reader over `base` with byte edits applied, cut at `size` (never copies the whole file). */
function editedReader(base: Uint8Array, edits: Map<number, number>, size: number): FileReader {
  return (offset, length) => {
    const end = Math.min(offset + length, size);
    const out = base.slice(Math.min(offset, end), end);
    for (const [at, value] of edits) if (at >= offset && at < end) out[at - offset] = value;
    return out;
  };
}

const INTERESTING_U64 = [0n, 1n, 0xfffn, 0x1000n, 0x1001n, 1n << 32n, (1n << 47n) - 0x1000n, 1n << 47n, 1n << 53n, 1n << 63n, (1n << 64n) - 1n];

/** Byte edits that write a whole little-endian u64 at an 8-aligned header offset. */
const fieldEdit = (headerBytes: number) =>
  fc
    .tuple(fc.nat({ max: Math.floor(headerBytes / 8) - 1 }), fc.oneof(fc.constantFrom(...INTERESTING_U64), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })))
    .map(([slot, value]) => Array.from({ length: 8 }, (_, i) => [slot * 8 + i, Number((value >> BigInt(8 * i)) & 0xffn)] as [number, number]));

const byteEdit = (headerBytes: number) => fc.tuple(fc.nat({ max: headerBytes - 1 }), fc.nat({ max: 255 })).map((e) => [e]);

describe.each(['static', 'staticPie', 'dynamic'] as const)('fuzzing headers of a gcc-built ELF (%s)', (kind) => {
  it('mutations and truncations give a loader errno or a sound plan', () => {
    const base = readBytes(binaries[kind]);
    const headerBytes = 64 + new DataView(base.buffer, base.byteOffset).getUint16(56, true) * 56;
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(
        fc.array(fc.oneof(byteEdit(headerBytes), fieldEdit(headerBytes)), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat({ max: base.length }), { nil: undefined }),
        (editGroups, truncate) => {
          const edits = new Map(editGroups.flat());
          const size = truncate ?? base.length;
          const result = parseAndPlan(editedReader(base, edits, size), size);
          const key = typeof result === 'number' ? String(result) : 'plan';
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // The generator must exercise both sides: some mutants still load, some are rejected.
    expect(outcomes.get('plan')).toBeGreaterThan(0);
    expect(outcomes.get(String(Errno.ENOEXEC))).toBeGreaterThan(0);
  });
});

describe('fuzzing with random bytes', () => {
  it('never throws anything but a loader errno', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, withMagic) => {
        if (withMagic && bytes.length >= 20) {
          bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
          bytes[16] = ET.EXEC;
          bytes[17] = 0;
          bytes[18] = 62;
          bytes[19] = 0;
        }
        const result = parseAndPlan(bytesFile(bytes).read, bytes.length);
        expect(typeof result === 'number' || result.mappings.length > 0).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

const addr = fc.oneof(fc.constantFrom(0, 0x1000, 0x400000, 0x401234, USER_ADDRESS_LIMIT - 0x1000, USER_ADDRESS_LIMIT, 2 ** 52), fc.nat({ max: 0x800000 }));
const phdr = fc.record({
  type: fc.constantFrom(PT.LOAD, PT.LOAD, PT.LOAD, PT.INTERP, PT.PHDR, PT.TLS, PT.GNU_STACK, PT.NOTE),
  flags: fc.nat({ max: 7 }),
  offset: fc.oneof(fc.nat({ max: 0x6000 }), fc.constantFrom(0, 0x1000)),
  vaddr: addr,
  filesz: fc.oneof(fc.nat({ max: 0x3000 }), fc.constantFrom(0, 0x1000)),
  memsz: fc.oneof(fc.nat({ max: 0x10000 }), fc.constantFrom(0, 0x1000, USER_ADDRESS_LIMIT, 2 ** 53 - 1)),
});

describe('fuzzing structured program headers', () => {
  it('parses into a sound plan or fails with a loader errno; small images load into memory', () => {
    let loadedCount = 0;
    const errnos = new Set<number>();
    fc.assert(
      fc.property(fc.array(phdr, { minLength: 1, maxLength: 6 }), fc.constantFrom(ET.EXEC, ET.DYN), fc.nat({ max: 0x8000 }), (phdrs, type, size) => {
        // A path-like string somewhere in the file (for PT_INTERP to point at), inside it.
        const marker = new Uint8Array([0x2f, 0x78, 0]);
        const headerEnd = 64 + phdrs.length * 56;
        const at = size >= 0x2000 + marker.length ? 0x2000 : size - marker.length;
        const bytes = buildElf({ type, phdrs, size, data: at >= headerEnd ? [[at, marker]] : [] });
        const result = parseAndPlan(bytesFile(bytes).read, bytes.length);
        if (typeof result === 'number') {
          errnos.add(result);
          return;
        }
        const image = parseElf(bytesFile(bytes).read, bytes.length);
        if (image.interp !== undefined) return;
        const span = result.brkStart - result.start;
        if (span > 64 * PAGE_SIZE) return;
        // Small enough to materialize: every loaded byte equals the file byte.
        const memory = new SparseMemory();
        const loaded = loadProgram({ memory, file: bytesFile(bytes), openInterp: () => bytesFile(bytes) });
        const last = loaded.program.plan.mappings.at(-1)!;
        expect(memory.isMapped(last.start + last.length - 1)).toBe(true);
        for (const m of loaded.program.plan.mappings) {
          // Bytes past EOF read as zero, like the rest of the page holding EOF.
          const inFile = Math.max(0, Math.min(m.fileLength, bytes.length - m.fileOffset));
          expect(Buffer.from(memory.read(m.start, inFile)).equals(bytes.subarray(m.fileOffset, m.fileOffset + inFile))).toBe(true);
          expect(memory.read(m.start + inFile, m.length - inFile).every((b) => b === 0)).toBe(true);
          expect(memory.protAt(m.start)).toBe(m.prot);
        }
        loadedCount++;
      }),
      {
        numRuns: NUM_RUNS,
        // One of each outcome the assertions below expect, so they hold on
        // every run rather than on most (random images rarely load small).
        examples: [
          [[{ type: PT.LOAD, flags: 5, offset: 0, vaddr: 0x400000, filesz: 0x2000, memsz: 0x3000 }], ET.EXEC, 0x2000],
          [[{ type: PT.LOAD, flags: 6, offset: 0, vaddr: 0x400000, filesz: 0x1000, memsz: 2 ** 53 - 1 }], ET.EXEC, 0x2000],
          [[{ type: PT.LOAD, flags: 5, offset: 0x6000, vaddr: 0x400000, filesz: 0x3000, memsz: 0x3000 }], ET.EXEC, 0x100],
          [[{ type: PT.LOAD, flags: 5, offset: 0, vaddr: 0x400000, filesz: 0x3000, memsz: 0x1000 }], ET.EXEC, 0x100],
          [[{ type: PT.LOAD, flags: 5, offset: 1, vaddr: 0x400000, filesz: 0x30, memsz: 0x1000 }], ET.EXEC, 0x100],
        ],
      },
    );
    expect(loadedCount).toBeGreaterThan(0);
    expect([...errnos].sort((a, b) => a - b)).toEqual([Errno.ENOEXEC, Errno.ENOMEM, Errno.EINVAL].sort((a, b) => a - b));
  });

  it('rejects overlapping segments, huge p_memsz and truncated headers', () => {
    const seg = (vaddr: number, memsz: number) => ({ type: PT.LOAD, flags: PF.R, offset: vaddr % PAGE_SIZE, vaddr, filesz: 0, memsz });
    const errno = (bytes: Uint8Array) => {
      const r = parseAndPlan(bytesFile(bytes).read, bytes.length);
      return typeof r === 'number' ? r : 0;
    };
    expect(errno(buildElf({ size: 0x1000, phdrs: [seg(0x400000, 0x2000), seg(0x401000, 0x1000)] }))).toBe(Errno.ENOEXEC);
    expect(errno(buildElf({ size: 0x1000, phdrs: [seg(0x400000, 2 ** 48)] }))).toBe(Errno.ENOMEM);
    const good = buildElf({ size: 0x1000, phdrs: [seg(0x400000, 0x1000), seg(0x402000, 0x1000)] });
    expect(errno(good)).toBe(0);
    fc.assert(
      fc.property(fc.nat({ max: 64 + 2 * 56 - 1 }), (cut) => {
        expect(errno(good.subarray(0, cut))).toBe(Errno.ENOEXEC);
      }),
      { numRuns: 100 },
    );
  });
});

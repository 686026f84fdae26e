import { Errno, ET, PT, SysError } from '@tvisor/abi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ELF_ET_DYN_BASE, PAGE_SIZE } from './elf-constants.js';
import { parseElf } from './elf-image.js';
import { defaultLoadBias, planLoad } from './load-plan.js';
import { buildProbes, KINDS, type Kind } from './testing/fixtures.js';
import { buildElf } from './testing/elf-builder.js';
import { bytesFile, hostFile, readBytes, readelfProgram, type Scratch } from './testing/native.js';

const TYPE_NAMES: Record<string, number> = {
  LOAD: PT.LOAD,
  DYNAMIC: PT.DYNAMIC,
  INTERP: PT.INTERP,
  NOTE: PT.NOTE,
  PHDR: PT.PHDR,
  TLS: PT.TLS,
  GNU_EH_FRAME: PT.GNU_EH_FRAME,
  GNU_STACK: PT.GNU_STACK,
  GNU_RELRO: PT.GNU_RELRO,
  GNU_PROPERTY: PT.GNU_PROPERTY,
};

function flagString(flags: number): string {
  return `${flags & 4 ? 'R' : ' '}${flags & 2 ? 'W' : ' '}${flags & 1 ? 'E' : ' '}`;
}

function errnoOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SysError) return err.errno;
    throw err;
  }
  return undefined;
}

let scratch: Scratch;
let binaries: Record<Kind, string>;
beforeAll(() => ({ scratch, binaries } = buildProbes()));
afterAll(() => scratch.dispose());

describe.each(Object.keys(KINDS) as Kind[])('parseElf against readelf -lW (%s)', (kind) => {
  it('reads the same program headers, entry and interpreter', () => {
    const file = hostFile(binaries[kind]);
    const image = parseElf(file.read, file.size);
    const ref = readelfProgram(binaries[kind]);
    expect(image.type).toBe(ref.fileType === 'EXEC' ? 2 : 3);
    expect(image.entry).toBe(ref.entry);
    expect(image.phnum).toBe(ref.phnum);
    expect(image.phoff).toBe(ref.phoff);
    expect(image.interp).toBe(ref.interp);
    expect(
      image.programHeaders.map((ph) => ({
        type: ph.type,
        offset: ph.offset,
        vaddr: ph.vaddr,
        filesz: ph.filesz,
        memsz: ph.memsz,
        flags: flagString(ph.flags),
        align: ph.align,
      })),
    ).toEqual(ref.headers.map((h) => ({ ...h, type: TYPE_NAMES[h.type] })));
    const refStack = ref.headers.find((h) => h.type === 'GNU_STACK');
    expect(image.execStack).toBe(refStack?.flags.includes('E') ?? false);
    const refTls = ref.headers.find((h) => h.type === 'TLS');
    expect(image.tls).toEqual(refTls && { vaddr: refTls.vaddr, filesz: refTls.filesz, memsz: refTls.memsz, align: refTls.align });
  });

  it('plans mappings that cover every PT_LOAD with its file bytes, zero tail and bss', () => {
    const file = hostFile(binaries[kind]);
    const image = parseElf(file.read, file.size);
    const ref = readelfProgram(binaries[kind]);
    const bias = defaultLoadBias(image);
    expect(bias).toBe(kind === 'static' ? 0 : Math.floor(ELF_ET_DYN_BASE / PAGE_SIZE) * PAGE_SIZE);
    const plan = planLoad(image, bias);
    const loads = ref.headers.filter((h) => h.type === 'LOAD');
    for (const load of loads) {
      const start = load.vaddr + bias;
      // Every byte of the segment's memory image is inside exactly one mapping with its flags.
      for (const addr of [start, start + load.filesz - 1, start + load.memsz - 1]) {
        const covering = plan.mappings.filter((m) => m.start <= addr && addr < m.start + m.length);
        expect(covering).toHaveLength(1);
        expect(flagString(((covering[0].prot & 1) << 2) | (covering[0].prot & 2) | ((covering[0].prot & 4) >> 2))).toBe(load.flags);
      }
      // The file part maps file offset `load.offset` at `start`.
      const filePart = plan.mappings.find((m) => m.fileLength > 0 && m.start <= start && start < m.start + m.length);
      expect(filePart).toBeDefined();
      expect(filePart!.fileOffset + (start - filePart!.start)).toBe(load.offset);
      expect(filePart!.start + filePart!.fileLength).toBe(start + load.filesz);
    }
    const last = loads[loads.length - 1];
    expect(plan.brkStart).toBe(Math.ceil((last.vaddr + last.memsz) / PAGE_SIZE) * PAGE_SIZE + bias);
    expect(plan.entry).toBe(ref.entry + bias);
    expect(plan.phnum).toBe(ref.phnum);
    expect(plan.phent).toBe(56);
    // The ELF header is in the first PT_LOAD, so the phdrs are mapped right after it.
    expect(plan.phdrAddr).toBe(loads[0].vaddr - loads[0].offset + ref.phoff + bias);
    for (const [i, m] of plan.mappings.entries()) {
      expect(m.start % PAGE_SIZE).toBe(0);
      expect(m.length % PAGE_SIZE).toBe(0);
      if (i > 0) expect(m.start).toBeGreaterThanOrEqual(plan.mappings[i - 1].start + plan.mappings[i - 1].length);
    }
  });
});

/** Patches little-endian fields of a copy of `bytes`. */
function patched(bytes: Uint8Array, edits: [offset: number, size: 1 | 2 | 4 | 8, value: number | bigint][]): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (const [offset, size, value] of edits) {
    if (size === 1) view.setUint8(offset, Number(value));
    if (size === 2) view.setUint16(offset, Number(value), true);
    if (size === 4) view.setUint32(offset, Number(value), true);
    if (size === 8) view.setBigUint64(offset, BigInt(value), true);
  }
  return out;
}

describe('parseElf rejects malformed images', () => {
  let elf: Uint8Array;
  let loadIndexes: number[];
  const ph = (i: number) => 64 + i * 56;
  beforeAll(() => {
    elf = readBytes(binaries.static);
    const image = parseElf(bytesFile(elf).read, elf.length);
    loadIndexes = image.programHeaders.flatMap((h, i) => (h.type === PT.LOAD ? [i] : []));
  });
  const parse = (bytes: Uint8Array) => () => parseElf(bytesFile(bytes).read, bytes.length);

  it.each([
    ['bad magic', [[1, 1, 0x46]]],
    ['ELFCLASS32', [[4, 1, 1]]],
    ['big-endian', [[5, 1, 2]]],
    ['bad EI_VERSION', [[6, 1, 0]]],
    ['ET_REL', [[16, 2, 1]]],
    ['ET_CORE', [[16, 2, 4]]],
    ['EM_386', [[18, 2, 3]]],
    ['bad e_version', [[20, 4, 2]]],
    ['bad e_phentsize', [[54, 2, 32]]],
    ['no program headers', [[56, 2, 0]]],
    ['program headers past EOF', [[32, 8, 1n << 40n]]],
    ['e_phoff overflowing', [[32, 8, 0xffffffffffffffc0n]]],
  ] as const)('%s -> ENOEXEC', (_name, edits) => {
    expect(errnoOf(parse(patched(elf, edits as never)))).toBe(Errno.ENOEXEC);
  });

  it('truncated headers -> ENOEXEC', () => {
    for (const length of [0, 3, 63, 64, 64 + 56 * 2 + 5]) expect(errnoOf(parse(elf.subarray(0, length)))).toBe(Errno.ENOEXEC);
  });

  it('segment data past EOF is accepted, as Linux maps the file as it is', () => {
    const image = parseElf(bytesFile(elf).read, elf.length);
    const end = Math.max(...image.loads.map((l) => l.offset + l.filesz));
    expect(errnoOf(parse(elf.subarray(0, end)))).toBeUndefined();
    expect(errnoOf(parse(elf.subarray(0, end - 1)))).toBeUndefined();
  });

  it('p_filesz > p_memsz -> ENOEXEC', () => {
    const i = ph(loadIndexes[0]);
    const view = new DataView(elf.buffer, elf.byteOffset);
    const memsz = view.getBigUint64(i + 40, true);
    expect(errnoOf(parse(patched(elf, [[i + 40, 8, memsz - 1n]])))).toBe(Errno.ENOEXEC);
  });

  it('p_offset not congruent to p_vaddr -> EINVAL (mmap of the misaligned offset), unless the segment has no file bytes', () => {
    const i = ph(loadIndexes[1]);
    const vaddr = new DataView(elf.buffer, elf.byteOffset).getBigUint64(i + 16, true);
    expect(errnoOf(parse(patched(elf, [[i + 16, 8, vaddr + 8n]])))).toBe(Errno.EINVAL);
    expect(
      errnoOf(
        parse(
          patched(elf, [
            [i + 16, 8, vaddr + 8n],
            [i + 32, 8, 0n],
          ]),
        ),
      ),
    ).toBeUndefined();
  });

  it('a position-independent PT_LOAD that wraps past 2^64 once placed -> EINVAL', () => {
    const i = ph(loadIndexes[0]);
    const memsz = new DataView(elf.buffer, elf.byteOffset).getBigUint64(i + 40, true);
    expect(
      errnoOf(
        parse(
          patched(elf, [
            [16, 2, ET.DYN],
            [i + 16, 8, 0xfffffffffffff000n - memsz],
          ]),
        ),
      ),
    ).toBe(Errno.EINVAL);
    // The same addresses in an ET_EXEC are simply out of reach.
    expect(errnoOf(parse(patched(elf, [[i + 16, 8, 0xfffffffffffff000n - memsz]])))).toBe(Errno.ENOMEM);
  });

  it('overlapping or unsorted PT_LOADs -> ENOEXEC', () => {
    const a = ph(loadIndexes[0]);
    const b = ph(loadIndexes[1]);
    const view = new DataView(elf.buffer, elf.byteOffset);
    // Second segment moved down a page onto the first (still congruent).
    const vaddrB = view.getBigUint64(b + 16, true);
    expect(errnoOf(parse(patched(elf, [[b + 16, 8, vaddrB - 0x1000n]])))).toBe(Errno.ENOEXEC);
    // Swap the first two headers: unsorted.
    const swapped = elf.slice();
    swapped.set(elf.subarray(a, a + 56), b);
    swapped.set(elf.subarray(b, b + 56), a);
    expect(errnoOf(parse(swapped))).toBe(Errno.ENOEXEC);
  });

  it('huge p_memsz or addresses past the user limit -> ENOMEM', () => {
    const last = ph(loadIndexes[loadIndexes.length - 1]);
    expect(errnoOf(parse(patched(elf, [[last + 40, 8, 1n << 47n]])))).toBe(Errno.ENOMEM);
    expect(errnoOf(parse(patched(elf, [[last + 40, 8, 0xfffffffffffff000n]])))).toBe(Errno.ENOMEM);
    expect(errnoOf(parse(patched(elf, [[last + 40, 8, 0x7ffffff00000n - 0x4a06d8n]])))).toBe(Errno.ENOMEM);
    expect(errnoOf(parse(patched(elf, [[last + 16, 8, 0xffffffffffff06d8n]])))).toBe(Errno.ENOMEM);
  });

  it('a bias that pushes the image past the user limit -> ENOMEM', () => {
    const image = parseElf(hostFile(binaries.dynamic).read, hostFile(binaries.dynamic).size);
    expect(errnoOf(() => planLoad(image, 0x7ffffff00000 - PAGE_SIZE))).toBe(Errno.ENOMEM);
    expect(errnoOf(() => planLoad(image, 123))).toBe(Errno.EINVAL);
  });
});

describe('PT_INTERP', () => {
  it('rejects a path without NUL (ENOEXEC), empty (EACCES: Linux opens the working directory) or longer than PATH_MAX', () => {
    const file = readBytes(binaries.dynamic);
    const image = parseElf(bytesFile(file).read, file.length);
    const index = image.programHeaders.findIndex((h) => h.type === PT.INTERP);
    const interp = image.programHeaders[index];
    const at = 64 + index * 56;
    const noNul = file.slice();
    noNul[interp.offset + interp.filesz - 1] = 0x41;
    expect(errnoOf(() => parseElf(bytesFile(noNul).read, noNul.length))).toBe(Errno.ENOEXEC);
    const empty = file.slice();
    empty[interp.offset] = 0;
    expect(errnoOf(() => parseElf(bytesFile(empty).read, empty.length))).toBe(Errno.EACCES);
    const long = patched(file, [[at + 32, 8, 4097]]);
    expect(errnoOf(() => parseElf(bytesFile(long).read, long.length))).toBe(Errno.ENOEXEC);
    expect(image.interp).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(new TextDecoder().decode(image.interpBytes)).toBe(image.interp);
  });
});

describe('PT_GNU_STACK and other non-load headers', () => {
  it('reads the exec-stack request of a binary linked with -z execstack', () => {
    const path = scratch.compile('execstack', 'int main(void) { return 0; }', ['-static', '-Wl,-z,execstack']);
    const file = hostFile(path);
    const ref = readelfProgram(path);
    expect(ref.headers.find((h) => h.type === 'GNU_STACK')?.flags).toBe('RWE');
    expect(parseElf(file.read, file.size).execStack).toBe(true);
  });

  it('tolerates out-of-range fields in headers the loader does not use, like Linux', () => {
    const bytes = buildElf({
      size: 0x1000,
      phdrs: [
        { type: PT.LOAD, flags: 4, offset: 0, vaddr: 0x400000, filesz: 0x1000, memsz: 0x1000 },
        { type: PT.NOTE, flags: 4, offset: 1n << 63n, vaddr: (1n << 64n) - 1n, filesz: 1n << 60n, memsz: 1n << 60n },
        { type: PT.GNU_STACK, flags: 6, offset: 0, vaddr: 0, filesz: 0, memsz: 0, align: (1n << 64n) - 1n },
      ],
    });
    const image = parseElf(bytesFile(bytes).read, bytes.length);
    expect(image.loads).toHaveLength(1);
    expect(image.execStack).toBe(false);
    // The same values in a PT_PHDR the loader relies on are malformed.
    const bad = buildElf({
      size: 0x1000,
      phdrs: [
        { type: PT.LOAD, flags: 4, offset: 0, vaddr: 0x400000, filesz: 0x1000, memsz: 0x1000 },
        { type: PT.PHDR, flags: 4, offset: 64, vaddr: (1n << 64n) - 1n, filesz: 112, memsz: 112 },
      ],
    });
    expect(errnoOf(() => parseElf(bytesFile(bad).read, bad.length))).toBe(Errno.ENOEXEC);
  });
});

import { ET, PF, PROT, PT } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { ELF_ET_DYN_BASE, PAGE_SIZE } from './elf-constants.js';
import { parseElf } from './elf-image.js';
import { defaultLoadBias, imageExtent, planLoad } from './load-plan.js';
import { loadProgram } from './load-program.js';
import { buildElf } from './testing/elf-builder.js';
import { bytesFile } from './testing/native.js';
import { SparseMemory } from './testing/sparse-memory.js';

const parse = (bytes: Uint8Array) => parseElf(bytesFile(bytes).read, bytes.length);

describe('planLoad', () => {
  it('splits a segment into its file pages and anonymous bss pages', () => {
    const image = parse(
      buildElf({
        size: 0x3000,
        phdrs: [
          { type: PT.LOAD, flags: PF.R | PF.X, offset: 0, vaddr: 0x400000, filesz: 0x1800, memsz: 0x1800 },
          { type: PT.LOAD, flags: PF.R | PF.W, offset: 0x2100, vaddr: 0x602100, filesz: 0x234, memsz: 0x5000 },
        ],
      }),
    );
    const plan = planLoad(image, 0);
    expect(plan.mappings).toEqual([
      { start: 0x400000, length: 0x2000, prot: PROT.READ | PROT.EXEC, fileOffset: 0, fileLength: 0x1800 },
      // File page: the file bytes from the page start through p_filesz, then a zero tail.
      { start: 0x602000, length: 0x1000, prot: PROT.READ | PROT.WRITE, fileOffset: 0x2000, fileLength: 0x334 },
      // Bss beyond the last file page.
      { start: 0x603000, length: 0x5000, prot: PROT.READ | PROT.WRITE, fileOffset: 0, fileLength: 0 },
    ]);
    expect(plan.brkStart).toBe(0x608000);
    expect(plan.phdrAddr).toBe(0x400040);
    expect(plan.entry).toBe(0x401000);
  });

  it('maps whole bss pages read-write whatever p_flags say, honouring only PF_X (vm_brk_flags)', () => {
    const image = parse(
      buildElf({
        size: 0x2000,
        phdrs: [
          { type: PT.LOAD, flags: PF.R | PF.X, offset: 0, vaddr: 0x400000, filesz: 0x800, memsz: 0x1800 },
          // Anonymous only, with a p_offset that is not congruent: no file bytes, so no mmap to refuse it.
          { type: PT.LOAD, flags: PF.R, offset: 0x123, vaddr: 0x402000, filesz: 0, memsz: 0x1000 },
        ],
      }),
    );
    expect(planLoad(image, 0).mappings).toEqual([
      { start: 0x400000, length: 0x1000, prot: PROT.READ | PROT.EXEC, fileOffset: 0, fileLength: 0x800 },
      { start: 0x401000, length: 0x1000, prot: PROT.READ | PROT.WRITE | PROT.EXEC, fileOffset: 0, fileLength: 0 },
      { start: 0x402000, length: 0x1000, prot: PROT.READ | PROT.WRITE, fileOffset: 0, fileLength: 0 },
    ]);
  });

  it('gives a page shared by two segments to the later one, like successive fixed mappings', () => {
    const bytes = buildElf({
      size: 0x1400,
      phdrs: [
        { type: PT.LOAD, flags: PF.R | PF.X, offset: 0, vaddr: 0x400000, filesz: 0x1100, memsz: 0x1100 },
        { type: PT.LOAD, flags: PF.R | PF.W, offset: 0x1200, vaddr: 0x401200, filesz: 0x100, memsz: 0x2000 },
      ],
    });
    const image = parse(bytes);
    expect(planLoad(image, 0).mappings).toEqual([
      { start: 0x400000, length: 0x1000, prot: PROT.READ | PROT.EXEC, fileOffset: 0, fileLength: 0x1000 },
      { start: 0x401000, length: 0x1000, prot: PROT.READ | PROT.WRITE, fileOffset: 0x1000, fileLength: 0x300 },
      { start: 0x402000, length: 0x2000, prot: PROT.READ | PROT.WRITE, fileOffset: 0, fileLength: 0 },
    ]);
    // The later segment's file page still carries the earlier one's bytes, read from the file.
    const memory = new SparseMemory();
    loadProgram({ memory, file: bytesFile(bytes), openInterp: () => bytesFile(bytes) });
    expect(memory.read(0x400000, 0x1300)).toEqual(bytes.subarray(0, 0x1300));
    expect(memory.read(0x401300, 0xd00).every((b) => b === 0)).toBe(true);
  });

  it('places PT_PHDR where it says, and reports 0 when the headers are not loaded', () => {
    const withPhdr = parse(
      buildElf({
        type: ET.DYN,
        size: 0x2000,
        phdrs: [
          { type: PT.PHDR, flags: PF.R, offset: 64, vaddr: 64, filesz: 112, memsz: 112 },
          { type: PT.LOAD, flags: PF.R | PF.X, offset: 0, vaddr: 0, filesz: 0x2000, memsz: 0x2000 },
        ],
      }),
    );
    expect(planLoad(withPhdr, 0x10000).phdrAddr).toBe(0x10040);
    const unloaded = parse(buildElf({ size: 0x3000, phdrs: [{ type: PT.LOAD, flags: PF.R, offset: 0x1000, vaddr: 0x401000, filesz: 0x1000, memsz: 0x1000 }] }));
    expect(planLoad(unloaded, 0).phdrAddr).toBe(0);
  });

  it('puts an ET_DYN main program at ELF_ET_DYN_BASE and reports its span', () => {
    const image = parse(
      buildElf({
        type: ET.DYN,
        size: 0x2000,
        entry: 0x1040,
        phdrs: [
          { type: PT.LOAD, flags: PF.R | PF.X, offset: 0, vaddr: 0, filesz: 0x1100, memsz: 0x1100 },
          { type: PT.LOAD, flags: PF.R | PF.W, offset: 0x1100, vaddr: 0x3100, filesz: 0x10, memsz: 0x10 },
        ],
      }),
    );
    expect(defaultLoadBias(image)).toBe(0x555555554000);
    expect(ELF_ET_DYN_BASE).toBe(0x555555554aaa);
    expect(imageExtent(image)).toEqual({ firstPage: 0, span: 0x4000 });
    const plan = planLoad(image, defaultLoadBias(image));
    expect(plan.entry).toBe(0x555555555040);
    expect(plan.start).toBe(0x555555554000);
    expect(plan.brkStart).toBe(0x555555558000);
    expect(plan.mappings.every((m) => m.start % PAGE_SIZE === 0)).toBe(true);
  });

  it('skips empty PT_LOADs and ignores their placement', () => {
    const image = parse(
      buildElf({
        size: 0x1000,
        phdrs: [
          { type: PT.LOAD, flags: PF.R, offset: 0, vaddr: 0x400000, filesz: 0x1000, memsz: 0x1000 },
          { type: PT.LOAD, flags: PF.R, offset: 0, vaddr: 0x1000, filesz: 0, memsz: 0 },
        ],
      }),
    );
    expect(image.loads).toHaveLength(1);
    expect(planLoad(image, 0).mappings).toHaveLength(1);
  });
});

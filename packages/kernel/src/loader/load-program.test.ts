import { AUXV, Errno, PROT, SysError } from '@tvisor/abi';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from './elf-constants.js';
import { loadProgram, type LoaderFile } from './load-program.js';
import { buildProbes, PROBE_SOURCE, type Kind } from './testing/fixtures.js';
import { bytesFile, hostFile, readBytes, type Scratch } from './testing/native.js';
import { runProbe } from './testing/run-probe.js';
import { SparseMemory } from './testing/sparse-memory.js';

const LD_SO = '/lib64/ld-linux-x86-64.so.2';

let scratch: Scratch;
let binaries: Record<Kind, string>;
beforeAll(() => ({ scratch, binaries } = buildProbes()));
afterAll(() => scratch.dispose());

function load(kind: Kind, memory = new SparseMemory()) {
  const opened: string[] = [];
  const loaded = loadProgram({
    memory,
    file: hostFile(binaries[kind]),
    openInterp: (path) => {
      opened.push(path);
      return hostFile(path);
    },
  });
  return { loaded, memory, opened };
}

const auxvValue = (auxv: [number, number][], type: number) => auxv.find(([t]) => t === type)?.[1];

describe('loadProgram against Linux (ASLR off)', () => {
  // SparseMemory places free mappings top-down from 0x7ffff7fff000, Linux's
  // mmap_base without randomization (and a stack rlimit under 128 MiB), so
  // even mmap-placed images land where Linux puts them.
  const compare = (binary: string) => {
    const native = runProbe(binary, [], {});
    const loaded = loadProgram({ memory: new SparseMemory(), file: hostFile(binary), openInterp: hostFile });
    const hex = (n: number | undefined) => n?.toString(16);
    expect({
      phdr: hex(auxvValue(loaded.auxv, AUXV.PHDR)),
      phent: auxvValue(loaded.auxv, AUXV.PHENT),
      phnum: auxvValue(loaded.auxv, AUXV.PHNUM),
      base: hex(auxvValue(loaded.auxv, AUXV.BASE)),
      entry: hex(auxvValue(loaded.auxv, AUXV.ENTRY)),
      flags: auxvValue(loaded.auxv, AUXV.FLAGS),
    }).toEqual({
      phdr: hex(native.phdr),
      phent: native.phent,
      phnum: native.phnum,
      base: hex(native.base),
      entry: hex(native.entry),
      flags: native.flags,
    });
    expect(loaded.auxv.map(([t]) => t)).toEqual([AUXV.PHDR, AUXV.PHENT, AUXV.PHNUM, AUXV.BASE, AUXV.FLAGS, AUXV.ENTRY]);
    return loaded;
  };

  it.each(['static', 'staticPie', 'dynamic'] as const)('%s: AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE, AT_FLAGS, AT_ENTRY match', (kind) => {
    compare(binaries[kind]);
  });

  it.each([
    ['pie', ['-fPIE', '-pie']],
    ['static-pie', ['-static-pie', '-fPIE']],
  ])('%s linked for 2 MiB pages is placed 2 MiB aligned, as Linux does', (name, flags) => {
    const binary = scratch.compile(`aligned-${name}`, PROBE_SOURCE, [...flags, '-Wl,-z,max-page-size=0x200000']);
    const loaded = compare(binary);
    expect(loaded.program.plan.start % 0x200000).toBe(0);
  });

  it('starts the heap of an ET_DYN program without interpreter at ELF_ET_DYN_BASE, as Linux does', () => {
    expect(load('staticPie').loaded.brkStart).toBe(0x555555555000);
    const dynamic = load('dynamic').loaded;
    expect(dynamic.brkStart).toBe(dynamic.program.plan.brkStart);
  });
});

describe.each(['static', 'staticPie', 'dynamic'] as const)('loadProgram into a sparse memory model (%s)', (kind) => {
  it('maps every segment with the file bytes, zero tail and bss, then final protections', () => {
    const { loaded, memory } = load(kind);
    const file = readBytes(binaries[kind]);
    const { image, plan } = loaded.program;
    const bias = plan.loadBias;
    // The bytes at the entry point are the file bytes of the segment holding it.
    const text = image.loads.find((l) => l.vaddr <= image.entry && image.entry < l.vaddr + l.filesz)!;
    const entryOffset = text.offset + (image.entry - text.vaddr);
    expect(memory.read(loaded.programEntry, 64)).toEqual(file.subarray(entryOffset, entryOffset + 64));
    for (const load of image.loads) {
      const start = load.vaddr + bias;
      expect(Buffer.from(memory.read(start, load.filesz)).equals(file.subarray(load.offset, load.offset + load.filesz))).toBe(true);
      // Everything after p_filesz up to the end of the last page is zero.
      const tailEnd = Math.ceil((start + load.memsz) / PAGE_SIZE) * PAGE_SIZE;
      expect(memory.read(start + load.filesz, tailEnd - start - load.filesz).every((b) => b === 0)).toBe(true);
      const prot = (load.flags & 4 ? PROT.READ : 0) | (load.flags & 2 ? PROT.WRITE : 0) | (load.flags & 1 ? PROT.EXEC : 0);
      expect(memory.protAt(start)).toBe(prot);
      expect(memory.protAt(start + load.memsz - 1)).toBe(prot);
    }
    // The program headers are readable where AT_PHDR says.
    expect(memory.read(loaded.phdrAddr, loaded.phnum * loaded.phent)).toEqual(file.subarray(image.phoff, image.phoff + image.phnum * image.phentsize));
    expect(loaded.brkStart % PAGE_SIZE).toBe(0);
    expect(memory.isMapped(loaded.brkStart)).toBe(false);
    // The image ends where its plan says (the heap may start elsewhere, see above).
    expect(memory.isMapped(plan.brkStart)).toBe(false);
    expect(memory.isMapped(plan.brkStart - 1)).toBe(true);
  });

  it('loads the interpreter when there is one and starts there', () => {
    const { loaded, memory, opened } = load(kind);
    if (kind !== 'dynamic') {
      expect(opened).toEqual([]);
      expect(loaded.interpreter).toBeUndefined();
      expect(loaded.entry).toBe(loaded.programEntry);
      return;
    }
    expect(opened).toEqual([LD_SO]);
    const interp = loaded.interpreter!;
    expect(loaded.interpBase).toBe(interp.plan.loadBias);
    expect(loaded.interpBase % PAGE_SIZE).toBe(0);
    expect(auxvValue(loaded.auxv, AUXV.BASE)).toBe(loaded.interpBase);
    expect(loaded.entry).toBe(loaded.interpBase + interp.image.entry);
    const ld = readBytes(LD_SO);
    const text = interp.image.loads.find((l) => l.vaddr <= interp.image.entry && interp.image.entry < l.vaddr + l.filesz)!;
    const at = text.offset + interp.image.entry - text.vaddr;
    expect(memory.read(loaded.entry, 32)).toEqual(ld.subarray(at, at + 32));
    // The interpreter does not overlap the program.
    const programEnd = loaded.brkStart;
    expect(loaded.interpBase >= programEnd || interp.plan.brkStart <= loaded.program.plan.start).toBe(true);
  });
});

describe('loadProgram errors', () => {
  function errnoOf(fn: () => unknown): number | undefined {
    try {
      fn();
    } catch (err) {
      if (err instanceof SysError) return err.errno;
      throw err;
    }
    return undefined;
  }

  it.each([
    ['a short non-ELF file', '#!/bin/sh\necho not a loader\n', Errno.EIO],
    ['a non-ELF file longer than an ELF header', `#!/bin/sh\n${'#'.repeat(200)}\n`, Errno.ELIBBAD],
  ])('an interpreter that is %s fails like Linux', (name, content, expected) => {
    const fakeLd = scratch.path(`fake-ld-${content.length}.so`);
    writeFileSync(fakeLd, content, { mode: 0o755 });
    const program = scratch.compile(`bad-interp-${content.length}`, 'int main(void) { return 0; }', ['-fPIE', '-pie', `-Wl,--dynamic-linker=${fakeLd}`]);
    const runner = scratch.compile(
      'runner',
      '#include <errno.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(int c, char **v) { char *a[] = { v[1], 0 }, *e[] = { 0 }; execve(v[1], a, e); printf("%d", errno); return 0; }',
      [],
    );
    const nativeErrno = Number(execFileSync(runner, [program], { encoding: 'utf8' }));
    expect(nativeErrno).toBe(expected);
    const ours = errnoOf(() => loadProgram({ memory: new SparseMemory(), file: hostFile(program), openInterp: (path) => hostFile(path) }));
    expect(ours).toBe(nativeErrno);
  });

  it('a missing interpreter passes its errno through', () => {
    const program = binaries.dynamic;
    const missing = errnoOf(() =>
      loadProgram({
        memory: new SparseMemory(),
        file: hostFile(program),
        openInterp: () => {
          throw new SysError(Errno.ENOENT);
        },
      }),
    );
    expect(missing).toBe(Errno.ENOENT);
  });

  it('file bytes a segment claims past EOF load as zeros (Linux maps the file as it is)', () => {
    const bytes = readBytes(binaries.static);
    let reads = 0;
    const shrinking: LoaderFile = {
      size: bytes.length,
      read: (offset, length) => {
        reads++;
        // Headers read fine; segment copies come back short, as past EOF.
        return reads <= 2 ? bytesFile(bytes).read(offset, length) : new Uint8Array(0);
      },
    };
    const memory = new SparseMemory();
    const loaded = loadProgram({ memory, file: shrinking, openInterp: () => shrinking });
    const first = loaded.program.plan.mappings[0];
    expect(first.fileLength).toBeGreaterThan(0);
    expect(memory.read(first.start, first.length).every((b) => b === 0)).toBe(true);
  });
});

describe('loadProgram with a memory that maps files', () => {
  /** SparseMemory plus mapFile: the file's bytes at the page (zeros past EOF), logged like the other calls. */
  class FileMappingMemory extends SparseMemory {
    mapFile(addr: number, length: number, prot: number, file: LoaderFile, fileOffset: number): void {
      this.mapAnonymous(addr, length, prot);
      this.log.push(`file ${addr.toString(16)} ${length.toString(16)} @${fileOffset.toString(16)}`);
      const bytes = file.read(fileOffset, length);
      if (bytes.length > 0) this.write(addr, bytes);
    }
  }

  it('maps the file part of each segment from the file and zeroes only the tail after p_filesz', () => {
    const bytes = readBytes(binaries.static);
    const memory = new FileMappingMemory();
    const loaded = loadProgram({ memory, file: { ...bytesFile(bytes), mappable: 'the file' }, openInterp: () => bytesFile(bytes) });
    const withFile = loaded.program.plan.mappings.filter((m) => m.fileLength > 0);
    expect(withFile.length).toBeGreaterThan(0);
    for (const m of withFile) {
      expect(memory.log).toContain(`file ${m.start.toString(16)} ${m.length.toString(16)} @${m.fileOffset.toString(16)}`);
      expect(Buffer.from(memory.read(m.start, m.fileLength)).equals(bytes.subarray(m.fileOffset, m.fileOffset + m.fileLength))).toBe(true);
      expect(memory.read(m.start + m.fileLength, m.length - m.fileLength).every((b) => b === 0)).toBe(true);
      expect(memory.protAt(m.start)).toBe(m.prot);
    }
    // Without a mappable the same memory gets copies, never file mappings.
    const copied = new FileMappingMemory();
    loadProgram({ memory: copied, file: bytesFile(bytes), openInterp: () => bytesFile(bytes) });
    expect(copied.log.some((line) => line.startsWith('file '))).toBe(false);
  });
});

import { AUXV, ET, Errno, PROT, SysError } from '@tvisor/abi';
import { ELF64_EHDR_SIZE, ELF_ET_DYN_BASE, PAGE_SIZE } from './elf-constants.js';
import { pageAlignUp, parseElf, type ElfImage, type FileReader } from './elf-image.js';
import { defaultLoadBias, imageExtent, loadAlignment, planLoad, type LoadPlan } from './load-plan.js';

/**
 * The loader's view of the new address space. The kernel adapts mm's
 * MemoryManager to it; tests use an in-memory model.
 */
export interface LoaderMemory {
  /**
   * Creates a private anonymous mapping of `length` bytes (a page multiple)
   * with protection `prot`, reading as zeros. With `addr` given the mapping is
   * placed exactly there, replacing whatever was mapped in the range (MAP_FIXED);
   * without it the memory manager chooses a free range. Returns the start
   * address. Throws SysError (ENOMEM) when it cannot.
   */
  mapAnonymous(addr: number | undefined, length: number, prot: number): number;
  /**
   * Copies `bytes` to `addr`, ignoring page protections (the loader fills
   * pages before setting their final protection). The range must be mapped.
   */
  write(addr: number, bytes: Uint8Array): void;
  /** Changes the protection of the mapped, page-aligned range [addr, addr+length) (mprotect). */
  protect(addr: number, length: number, prot: number): void;
  /**
   * Optional: maps `length` bytes of `file` from the page-aligned `fileOffset`
   * at exactly `addr`, private and copy-on-write (MAP_PRIVATE|MAP_FIXED), so
   * /proc/PID/maps names the file as Linux's loader mappings do. Pages past
   * the file's end read as zeros. Only called for files with a `mappable`.
   */
  mapFile?(addr: number, length: number, prot: number, file: LoaderFile, fileOffset: number): void;
}

/** An open file the loader reads from. */
export interface LoaderFile {
  /** Returns up to `length` bytes at `offset`, fewer only at end of file. */
  read: FileReader;
  size: number;
  /** The file as the memory seam maps it (opaque to the loader); without it segments are copied. */
  mappable?: unknown;
}

export interface LoadProgramOptions {
  memory: LoaderMemory;
  /** The program execve was asked to run. */
  file: LoaderFile;
  /**
   * Opens the PT_INTERP path (e.g. /lib64/ld-linux-x86-64.so.2). Throws a
   * SysError (ENOENT, EACCES, ...) that execve reports as is.
   */
  openInterp: (path: string) => LoaderFile;
  /**
   * Bias for an ET_DYN program. By default, as Linux: with an interpreter the
   * program goes at ELF_ET_DYN_BASE (defaultLoadBias); without one
   * (static-pie, ld.so run directly) wherever `memory` chooses.
   */
  programLoadBias?: number;
}

/** One auxiliary vector entry: [AT_* type, value]. */
export type AuxvEntry = [type: number, value: number];

export interface LoadedProgram {
  /** Where the first thread starts: the interpreter's entry when there is one. */
  entry: number;
  /** The program's own (biased) entry point: AT_ENTRY. */
  programEntry: number;
  /** Where the interpreter was loaded (AT_BASE), 0 without one. */
  interpBase: number;
  phdrAddr: number;
  phnum: number;
  phent: number;
  /**
   * The initial program break: the page after the program's highest segment,
   * except for an ET_DYN program without interpreter, whose heap Linux starts
   * at ELF_ET_DYN_BASE (page aligned up) since the program itself sits high.
   */
  brkStart: number;
  /** PT_GNU_STACK of the program asks for an executable stack. */
  execStack: boolean;
  /** AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE, AT_FLAGS, AT_ENTRY, in Linux's order. */
  auxv: AuxvEntry[];
  program: { image: ElfImage; plan: LoadPlan };
  interpreter: { path: string; image: ElfImage; plan: LoadPlan } | undefined;
}

/** Largest chunk copied at once, so huge segments never need one huge buffer. */
const COPY_CHUNK = 1 << 20;

/**
 * Loads an ELF program and its interpreter into a fresh address space, the
 * way execve(2) does after the point of no return is decided: parse, place,
 * map writable, copy file bytes, then apply each segment's protection.
 * Errors: ENOEXEC/ENOMEM from the program, ELIBBAD when the interpreter is not
 * a loadable ELF (EIO when it is shorter than an ELF header), and whatever
 * `openInterp` or `memory` throw. Both files are fully validated before the
 * first mapping is made; an error from `memory` or a read midway leaves the
 * address space partly built (Linux kills the process at that stage).
 */
export function loadProgram(options: LoadProgramOptions): LoadedProgram {
  const { memory, file } = options;
  const image = parseElf(file.read, file.size);
  const interp = image.interp === undefined ? undefined : openInterpreter(options.openInterp, image.interp);

  const placedAnywhere = image.type === ET.DYN && options.programLoadBias === undefined && !interp;
  const plan = placedAnywhere ? placeAnywhere(memory, image) : planLoad(image, image.type === ET.DYN ? (options.programLoadBias ?? defaultLoadBias(image)) : 0);
  mapPlan(memory, file, plan);

  let interpreter: LoadedProgram['interpreter'];
  if (interp) {
    const interpPlan = interp.image.type === ET.EXEC ? planLoad(interp.image, 0) : placeAnywhere(memory, interp.image);
    mapPlan(memory, interp.file, interpPlan);
    interpreter = { path: interp.path, image: interp.image, plan: interpPlan };
  }

  const interpBase = interpreter ? interpreter.plan.loadBias : 0;
  return {
    entry: interpreter ? interpreter.plan.entry : plan.entry,
    programEntry: plan.entry,
    interpBase,
    phdrAddr: plan.phdrAddr,
    phnum: plan.phnum,
    phent: plan.phent,
    brkStart: placedAnywhere ? pageAlignUp(ELF_ET_DYN_BASE) : plan.brkStart,
    execStack: image.execStack,
    auxv: [
      [AUXV.PHDR, plan.phdrAddr],
      [AUXV.PHENT, plan.phent],
      [AUXV.PHNUM, plan.phnum],
      [AUXV.BASE, interpBase],
      [AUXV.FLAGS, 0],
      [AUXV.ENTRY, plan.entry],
    ],
    program: { image, plan },
    interpreter,
  };
}

function openInterpreter(open: (path: string) => LoaderFile, path: string): { path: string; file: LoaderFile; image: ElfImage } {
  const file = open(path);
  // Linux reads the interpreter's ELF header with one read; a short read is EIO.
  if (file.size < ELF64_EHDR_SIZE) throw new SysError(Errno.EIO, `interpreter ${path} is shorter than an ELF header`);
  let image: ElfImage;
  try {
    image = parseElf(file.read, file.size);
  } catch (err) {
    // Linux reports an interpreter that is not a usable ELF as ELIBBAD.
    if (err instanceof SysError && err.errno === Errno.ENOEXEC) throw new SysError(Errno.ELIBBAD, `bad ELF interpreter ${path}: ${err.message}`);
    throw err;
  }
  // Its own PT_INTERP, if any, is ignored: Linux's load_elf_interp maps PT_LOADs only.
  return { path, file, image };
}

/**
 * Places an ET_DYN image where the memory manager finds room for its whole
 * span, aligned as the image asks: the span (plus slack for the alignment) is
 * reserved inaccessible, then the segments are mapped over the reservation.
 * Gaps between segments and alignment slack stay reserved, inaccessible.
 */
function placeAnywhere(memory: LoaderMemory, image: ElfImage): LoadPlan {
  const { firstPage, span } = imageExtent(image);
  const align = loadAlignment(image);
  const reserved = memory.mapAnonymous(undefined, span + align - PAGE_SIZE, PROT.NONE);
  const start = reserved % align === 0 ? reserved : reserved + (align - (reserved % align));
  return planLoad(image, start - firstPage);
}

/** Creates the plan's mappings at their fixed addresses, fills them, then sets their protection. */
function mapPlan(memory: LoaderMemory, file: LoaderFile, plan: LoadPlan): void {
  const read = file.read;
  for (const m of plan.mappings) {
    if (m.fileLength > 0 && file.mappable !== undefined && memory.mapFile) {
      memory.mapFile(m.start, m.length, PROT.READ | PROT.WRITE, file, m.fileOffset);
      // The zero tail after p_filesz (Linux's padzero) becomes a private copy of its page.
      if (m.fileLength < m.length) memory.write(m.start + m.fileLength, new Uint8Array(m.length - m.fileLength));
      if (m.prot !== (PROT.READ | PROT.WRITE)) memory.protect(m.start, m.length, m.prot);
      continue;
    }
    memory.mapAnonymous(m.start, m.length, PROT.READ | PROT.WRITE);
    for (let done = 0; done < m.fileLength; done += COPY_CHUNK) {
      const length = Math.min(COPY_CHUNK, m.fileLength - done);
      const bytes = read(m.fileOffset + done, length);
      // Bytes past the end of the file stay zero, as in Linux's mapping of the page holding EOF.
      if (bytes.length > 0) memory.write(m.start + done, bytes.length <= length ? bytes : bytes.subarray(0, length));
      if (bytes.length < length) break;
    }
    // The bytes after fileLength are the zero tail and bss: fresh anonymous pages are already zero.
    if (m.prot !== (PROT.READ | PROT.WRITE)) memory.protect(m.start, m.length, m.prot);
  }
}

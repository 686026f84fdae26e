import { EI, ELFCLASS, ELFDATA, ELFMAG, EM, ET, EV, Errno, PF, PT, SysError } from '@tvisor/abi';
import { ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, MAX_INTERP_PATH, MAX_PHDR_TABLE_SIZE, PAGE_SIZE, USER_ADDRESS_LIMIT } from './elf-constants.js';

const MAGIC = [ELFMAG.MAG0, ELFMAG.MAG1, ELFMAG.MAG2, ELFMAG.MAG3];

/**
 * Reads file bytes: returns up to `length` bytes starting at `offset`, fewer
 * only at end of file. May throw a SysError (e.g. EIO) which is passed through.
 */
export type FileReader = (offset: number, length: number) => Uint8Array;

/**
 * One program header. Fields of the types the loader uses (LOAD, INTERP,
 * PHDR, TLS) are exact safe integers; other types' fields may be rounded.
 */
export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** PT_TLS: the TLS initialization image, as the ELF describes it. */
export interface TlsTemplate {
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** A validated 64-bit x86-64 executable or shared object (only what loading needs). */
export interface ElfImage {
  /** ET_EXEC (fixed addresses) or ET_DYN (position independent, needs a bias). */
  type: typeof ET.EXEC | typeof ET.DYN;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  /** Every program header, in file order. */
  programHeaders: ProgramHeader[];
  /** The PT_LOAD headers with a non-empty memory image, ascending and non-overlapping. */
  loads: ProgramHeader[];
  /** The PT_INTERP path without its NUL, or undefined for a static program. */
  interp: string | undefined;
  /** The PT_INTERP path bytes without its NUL (paths are bytes, not necessarily UTF-8). */
  interpBytes: Uint8Array | undefined;
  /** True when PT_GNU_STACK asks for an executable stack. */
  execStack: boolean;
  /** PT_PHDR's p_vaddr (unbiased), when the file has one. */
  phdrVaddr: number | undefined;
  tls: TlsTemplate | undefined;
}

const noexec = (detail: string): SysError => new SysError(Errno.ENOEXEC, detail);

/** Reads exactly `length` bytes or fails with ENOEXEC: a header cut off by EOF is malformed. */
function readExact(read: FileReader, fileSize: number, offset: number, length: number, what: string): Uint8Array {
  if (offset < 0 || length < 0 || offset + length > fileSize) throw noexec(`${what} lies outside the file`);
  const bytes = read(offset, length);
  if (bytes.length < length) throw noexec(`${what} is truncated`);
  return bytes.length === length ? bytes : bytes.subarray(0, length);
}

/** Reads an unsigned 64-bit field, rejecting values JavaScript numbers cannot hold exactly. */
function u64(view: DataView, at: number, what: string, errno: number = Errno.ENOEXEC): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new SysError(errno, `${what} is out of range`);
  return Number(value);
}

/**
 * Parses and validates an x86-64 ELF64 executable the way execve(2) would
 * before mapping it. Throws SysError(ENOEXEC) for anything malformed and
 * SysError(ENOMEM) for segments that cannot fit in the user address space.
 * Reads only the headers and the PT_INTERP string through `read`.
 */
export function parseElf(read: FileReader, fileSize: number): ElfImage {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new SysError(Errno.EINVAL, 'bad file size');
  const ehdr = readExact(read, fileSize, 0, ELF64_EHDR_SIZE, 'ELF header');
  for (let i = 0; i < MAGIC.length; i++) if (ehdr[EI.MAG0 + i] !== MAGIC[i]) throw noexec('not an ELF file');
  if (ehdr[EI.CLASS] !== ELFCLASS['64']) throw noexec('not ELFCLASS64');
  if (ehdr[EI.DATA] !== ELFDATA['2LSB']) throw noexec('not little-endian');
  if (ehdr[EI.VERSION] !== EV.CURRENT) throw noexec('bad EI_VERSION');

  const view = new DataView(ehdr.buffer, ehdr.byteOffset, ehdr.byteLength);
  const eType = view.getUint16(16, true);
  const eMachine = view.getUint16(18, true);
  const eVersion = view.getUint32(20, true);
  if (eType !== ET.EXEC && eType !== ET.DYN) throw noexec('not an executable or shared object');
  if (eMachine !== EM.X86_64) throw noexec('not x86-64');
  if (eVersion !== EV.CURRENT) throw noexec('bad e_version');
  const entry = u64(view, 24, 'e_entry');
  const phoff = u64(view, 32, 'e_phoff');
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize !== ELF64_PHDR_SIZE) throw noexec('bad e_phentsize');
  const tableSize = phnum * phentsize;
  if (phnum === 0 || tableSize > MAX_PHDR_TABLE_SIZE) throw noexec('bad e_phnum');
  const table = readExact(read, fileSize, phoff, tableSize, 'program header table');
  const tableView = new DataView(table.buffer, table.byteOffset, table.byteLength);

  const programHeaders: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) programHeaders.push(readProgramHeader(tableView, i * phentsize, eType));

  const loads = validateLoads(programHeaders);
  const interpHeader = programHeaders.find((ph) => ph.type === PT.INTERP);
  const interpBytes = interpHeader ? readInterp(read, fileSize, interpHeader) : undefined;
  const stack = programHeaders.find((ph) => ph.type === PT.GNU_STACK);
  const phdr = programHeaders.find((ph) => ph.type === PT.PHDR);
  // PT_TLS is reported, not validated: Linux leaves that to the C runtime.
  const tls = programHeaders.find((ph) => ph.type === PT.TLS);

  return {
    type: eType,
    entry,
    phoff,
    phentsize,
    phnum,
    programHeaders,
    loads,
    interp: interpBytes ? new TextDecoder().decode(interpBytes) : undefined,
    interpBytes,
    execStack: stack !== undefined && (stack.flags & PF.X) !== 0,
    phdrVaddr: phdr?.vaddr,
    tls: tls ? { vaddr: tls.vaddr, filesz: tls.filesz, memsz: tls.memsz, align: tls.align } : undefined,
  };
}

/** Header types whose fields the loader uses; only theirs must be exact. */
const USED_TYPES: ReadonlySet<number> = new Set([PT.LOAD, PT.INTERP, PT.PHDR, PT.TLS]);

/**
 * Lowest bias an ET_DYN image can get (mmap_min_addr): a PT_LOAD ending above
 * 2^64 minus this wraps around once placed, which gVisor reports as EINVAL.
 */
const MIN_LOAD_BIAS = 0x10000n;

function readProgramHeader(view: DataView, at: number, eType: number): ProgramHeader {
  const type = view.getUint32(at, true);
  if (type === PT.LOAD && eType === ET.DYN) {
    const end = view.getBigUint64(at + 16, true) + view.getBigUint64(at + 40, true);
    if (end > (1n << 64n) - MIN_LOAD_BIAS) throw new SysError(Errno.EINVAL, 'PT_LOAD of a position-independent image wraps past the address space once placed');
  }
  // Sizes and addresses of a PT_LOAD that JavaScript cannot hold exactly could
  // never be mapped: ENOMEM. For other used headers such numbers are
  // malformed; unused headers (notes, GNU_STACK, ...) are not Linux's concern,
  // so their fields are kept approximately rather than rejected.
  const field = (offset: number, what: string, errno: number = Errno.ENOEXEC): number =>
    USED_TYPES.has(type) ? u64(view, at + offset, what, errno) : Number(view.getBigUint64(at + offset, true));
  const rangeErrno = type === PT.LOAD ? Errno.ENOMEM : Errno.ENOEXEC;
  return {
    type,
    flags: view.getUint32(at + 4, true),
    offset: field(8, 'p_offset'),
    vaddr: field(16, 'p_vaddr', rangeErrno),
    // p_paddr (at + 24) is ignored, as Linux does.
    filesz: field(32, 'p_filesz'),
    memsz: field(40, 'p_memsz', rangeErrno),
    align: field(48, 'p_align'),
  };
}

/** Checks every PT_LOAD and returns those with a memory image, in address order. */
function validateLoads(headers: readonly ProgramHeader[]): ProgramHeader[] {
  const loads: ProgramHeader[] = [];
  let previousEnd = -1;
  for (const ph of headers) {
    if (ph.type !== PT.LOAD) continue;
    if (ph.filesz > ph.memsz) throw noexec('PT_LOAD p_filesz exceeds p_memsz');
    // File bytes past EOF are not an error: Linux maps the file as it is, and
    // what lies beyond its end reads as zero (MissingText runs into those zeros).
    if (!Number.isSafeInteger(ph.offset + ph.filesz)) throw noexec('PT_LOAD file range overflows');
    // The file part is an mmap at p_offset rounded down: mmap refuses the
    // misaligned offset with EINVAL. A segment without file bytes maps none.
    if (ph.filesz > 0 && ph.offset % PAGE_SIZE !== ph.vaddr % PAGE_SIZE) {
      throw new SysError(Errno.EINVAL, 'PT_LOAD p_offset and p_vaddr are not congruent modulo the page size');
    }
    if (ph.memsz > USER_ADDRESS_LIMIT || ph.vaddr > USER_ADDRESS_LIMIT - ph.memsz) {
      throw new SysError(Errno.ENOMEM, 'PT_LOAD does not fit below the user address limit');
    }
    // Page rounding of the end must stay in range too.
    if (pageAlignUp(ph.vaddr + ph.memsz) > USER_ADDRESS_LIMIT) throw new SysError(Errno.ENOMEM, 'PT_LOAD ends past the user address limit');
    if (ph.memsz === 0) continue;
    if (ph.vaddr < previousEnd) throw noexec('PT_LOAD segments are unsorted or overlap');
    previousEnd = ph.vaddr + ph.memsz;
    loads.push(ph);
  }
  if (loads.length === 0) throw noexec('no loadable segment');
  return loads;
}

function readInterp(read: FileReader, fileSize: number, ph: ProgramHeader): Uint8Array {
  // At least one character and its NUL; no longer than PATH_MAX.
  if (ph.filesz < 2 || ph.filesz > MAX_INTERP_PATH) throw noexec('bad PT_INTERP size');
  const bytes = readExact(read, fileSize, ph.offset, ph.filesz, 'PT_INTERP');
  if (bytes[bytes.length - 1] !== 0) throw noexec('PT_INTERP is not NUL-terminated');
  const nul = bytes.indexOf(0);
  // A NUL earlier than the end ends the path, as the C string would. Linux
  // opens the empty path as the working directory, which is not a regular file.
  if (nul === 0) throw new SysError(Errno.EACCES, 'empty PT_INTERP');
  return bytes.slice(0, nul);
}

export function pageAlignDown(n: number): number {
  return n - (n % PAGE_SIZE);
}

export function pageAlignUp(n: number): number {
  const rem = n % PAGE_SIZE;
  return rem === 0 ? n : n + (PAGE_SIZE - rem);
}

import { ET, Errno, PF, PROT, PT, SysError } from '@tvisor/abi';
import { ELF_ET_DYN_BASE, PAGE_SIZE, USER_ADDRESS_LIMIT } from './elf-constants.js';
import { pageAlignDown, pageAlignUp, type ElfImage, type ProgramHeader } from './elf-image.js';

/**
 * One page-aligned mapping to create for a PT_LOAD segment. The whole range
 * starts zero-filled; the first `fileLength` bytes receive the file bytes at
 * `fileOffset`. So a segment's file part is a mapping with fileLength > 0
 * (the bytes after p_filesz up to its page end stay zero: the zero tail) and
 * its bss beyond that page is a mapping with fileLength 0.
 */
export interface LoadMapping {
  /** Page-aligned address. */
  start: number;
  /** Page multiple, > 0. */
  length: number;
  /** Final PROT_* bits, from p_flags. */
  prot: number;
  /** Page-aligned file offset of `start` (meaningful when fileLength > 0). */
  fileOffset: number;
  /** Bytes to copy from the file to `start`; 0 for anonymous (bss) pages. */
  fileLength: number;
}

/** Everything needed to map one ELF image at one bias. */
export interface LoadPlan {
  /** Ascending, non-overlapping mappings, all inside [0, USER_ADDRESS_LIMIT). */
  mappings: LoadMapping[];
  loadBias: number;
  /** Biased e_entry. */
  entry: number;
  /** Address of the program headers in memory (AT_PHDR), 0 when they are not mapped. */
  phdrAddr: number;
  phnum: number;
  phent: number;
  /** Page-aligned end of the highest segment: where the heap (brk) begins. */
  brkStart: number;
  /** Page-aligned lowest address of the image, biased. */
  start: number;
}

/** The page-aligned extent of an image at bias 0: what must be reserved to place an ET_DYN. */
export interface ImageExtent {
  /** Page-aligned lowest p_vaddr. */
  firstPage: number;
  /** Bytes from firstPage to the page-aligned end of the highest segment. */
  span: number;
}

export function imageExtent(image: ElfImage): ImageExtent {
  const first = image.loads[0];
  const last = image.loads[image.loads.length - 1];
  const firstPage = pageAlignDown(first.vaddr);
  return { firstPage, span: pageAlignUp(last.vaddr + last.memsz) - firstPage };
}

/**
 * The alignment an ET_DYN image asks for: the largest power-of-two p_align of
 * its PT_LOADs, at least a page (other p_align values are ignored, as Linux does).
 */
export function loadAlignment(image: ElfImage): number {
  let align = PAGE_SIZE;
  for (const ph of image.programHeaders) {
    if (ph.type !== PT.LOAD || ph.align <= align || !isPowerOfTwo(ph.align)) continue;
    align = ph.align;
  }
  return align;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * The bias Linux gives an ET_DYN main program that has an interpreter, with
 * address randomization off: ELF_ET_DYN_BASE, lowered to the image's
 * alignment, minus the first segment's p_vaddr, rounded down to a page
 * (0x555555554000 for a usual PIE). ET_EXEC images are never relocated: 0.
 * (An ET_DYN program without interpreter — static-pie, ld.so run directly —
 * goes wherever mmap would put it instead; see loadProgram.)
 */
export function defaultLoadBias(image: ElfImage): number {
  if (image.type === ET.EXEC) return 0;
  const align = loadAlignment(image);
  const base = ELF_ET_DYN_BASE - (ELF_ET_DYN_BASE % align);
  return pageAlignDown(base - image.loads[0].vaddr);
}

export function protFromFlags(flags: number): number {
  return (flags & PF.R ? PROT.READ : 0) | (flags & PF.W ? PROT.WRITE : 0) | (flags & PF.X ? PROT.EXEC : 0);
}

/**
 * Computes the mappings that load `image` with every p_vaddr moved by
 * `loadBias` (page aligned; must be 0 for ET_EXEC). A page shared by the end
 * of one segment and the start of the next belongs to the later segment, as
 * with Linux's successive fixed mappings. Throws SysError(ENOMEM) if the
 * biased image leaves the user address range, EINVAL for a bad bias.
 */
export function planLoad(image: ElfImage, loadBias: number): LoadPlan {
  if (!Number.isSafeInteger(loadBias) || loadBias % PAGE_SIZE !== 0) throw new SysError(Errno.EINVAL, 'load bias not page aligned');
  if (image.type === ET.EXEC && loadBias !== 0) throw new SysError(Errno.EINVAL, 'ET_EXEC cannot be relocated');
  const extent = imageExtent(image);
  const start = extent.firstPage + loadBias;
  if (start < 0 || start + extent.span > USER_ADDRESS_LIMIT) throw new SysError(Errno.ENOMEM, 'image does not fit at this bias');

  const mappings: LoadMapping[] = [];
  image.loads.forEach((ph, i) => {
    const nextStart = i + 1 < image.loads.length ? pageAlignDown(image.loads[i + 1].vaddr) + loadBias : Infinity;
    for (const m of segmentMappings(ph, loadBias)) {
      const end = Math.min(m.start + m.length, nextStart);
      if (end <= m.start) continue;
      mappings.push({ ...m, length: end - m.start, fileLength: Math.min(m.fileLength, end - m.start) });
    }
  });

  const phdr = phdrVaddr(image);
  return {
    mappings,
    loadBias,
    entry: image.entry + loadBias,
    phdrAddr: phdr === undefined ? 0 : phdr + loadBias,
    phnum: image.phnum,
    phent: image.phentsize,
    brkStart: extent.firstPage + extent.span + loadBias,
    start,
  };
}

/** The file-backed part and the bss part of one segment, before trimming shared pages. */
function segmentMappings(ph: ProgramHeader, bias: number): LoadMapping[] {
  const prot = protFromFlags(ph.flags);
  const start = pageAlignDown(ph.vaddr) + bias;
  const lead = ph.vaddr % PAGE_SIZE;
  const fileEnd = ph.vaddr + ph.filesz + bias;
  const memEnd = pageAlignUp(ph.vaddr + ph.memsz) + bias;
  const out: LoadMapping[] = [];
  let bssStart = start;
  if (ph.filesz > 0) {
    const fileMapEnd = pageAlignUp(fileEnd);
    out.push({ start, length: fileMapEnd - start, prot, fileOffset: ph.offset - lead, fileLength: lead + ph.filesz });
    bssStart = fileMapEnd;
  }
  // Whole bss pages come from vm_brk_flags, which honours only PF_X: they are read-write whatever p_flags say.
  const bssProt = PROT.READ | PROT.WRITE | (prot & PROT.EXEC);
  if (memEnd > bssStart) out.push({ start: bssStart, length: memEnd - bssStart, prot: bssProt, fileOffset: 0, fileLength: 0 });
  return out;
}

/**
 * Unbiased address of the program header table in memory: PT_PHDR when
 * present, else computed from the PT_LOAD whose file range holds the table.
 */
function phdrVaddr(image: ElfImage): number | undefined {
  if (image.phdrVaddr !== undefined) return image.phdrVaddr;
  const tableEnd = image.phoff + image.phnum * image.phentsize;
  const holder = image.loads.find((ph) => ph.offset <= image.phoff && tableEnd <= ph.offset + ph.filesz);
  return holder ? holder.vaddr - holder.offset + image.phoff : undefined;
}

/** Indices into e_ident. */
export const EI = {
  MAG0: 0,
  MAG1: 1,
  MAG2: 2,
  MAG3: 3,
  CLASS: 4,
  DATA: 5,
  VERSION: 6,
  OSABI: 7,
  ABIVERSION: 8,
  PAD: 9,
  NIDENT: 16,
} as const;

/** The four magic bytes at e_ident[EI.MAG0..EI.MAG3] ("\x7fELF"). */
export const ELFMAG = { MAG0: 0x7f, MAG1: 0x45, MAG2: 0x4c, MAG3: 0x46 } as const;

/** e_ident[EI.CLASS] values. */
export const ELFCLASS = { NONE: 0, '32': 1, '64': 2 } as const;

/** e_ident[EI.DATA] values. */
export const ELFDATA = { NONE: 0, '2LSB': 1, '2MSB': 2 } as const;

/** e_ident[EI.OSABI] values. */
export const ELFOSABI = { SYSV: 0, GNU: 3, LINUX: 3 } as const;

/** e_version / e_ident[EI.VERSION] values. */
export const EV = { NONE: 0, CURRENT: 1 } as const;

/** e_machine values. */
export const EM = { NONE: 0, '386': 3, X86_64: 62, AARCH64: 183 } as const;

/** e_type values. */
export const ET = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;

/** p_type values of program headers. */
export const PT = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  SHLIB: 5,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
} as const;

/** p_flags bits of program headers. */
export const PF = { X: 1, W: 2, R: 4 } as const;

/**
 * Auxiliary vector entry types (AT_* in <linux/auxvec.h>); named AUXV so it
 * does not clash with the dirfd group AT.
 */
export const AUXV = {
  NULL: 0,
  IGNORE: 1,
  EXECFD: 2,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  NOTELF: 10,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  BASE_PLATFORM: 24,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
  SYSINFO_EHDR: 33,
  MINSIGSTKSZ: 51,
} as const;

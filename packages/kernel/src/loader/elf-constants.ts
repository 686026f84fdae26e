// Sizes and limits the loader needs that @tvisor/abi does not define (the
// ELF, AUXV and PROT groups come from abi). Values are checked against the
// host's C headers by elf-constants.test.ts.

/** sizeof(Elf64_Ehdr). */
export const ELF64_EHDR_SIZE = 64;
/** sizeof(Elf64_Phdr): the only e_phentsize accepted. */
export const ELF64_PHDR_SIZE = 56;

export const PAGE_SIZE = 4096;

/** First address user mappings may not reach (exclusive upper bound). */
export const USER_ADDRESS_LIMIT = 0x7ffffff00000;

/** Linux's x86-64 TASK_SIZE (DEFAULT_MAP_WINDOW): top of the user address space. */
export const TASK_SIZE = 0x7ffffffff000;

/**
 * Where an ET_DYN main program is placed by default: two thirds of TASK_SIZE
 * (Linux's ELF_ET_DYN_BASE, 0x555555554aaa). Not page aligned by itself; the
 * loader rounds the resulting bias down to a page.
 */
export const ELF_ET_DYN_BASE = Math.floor(TASK_SIZE / 3) * 2;

/** Longest PT_INTERP path accepted, including its terminating NUL (PATH_MAX). */
export const MAX_INTERP_PATH = 4096;

/** Largest program header table accepted, in bytes (Linux refuses more). */
export const MAX_PHDR_TABLE_SIZE = 65536;

/** Longest single argv/envp string, including its NUL (MAX_ARG_STRLEN: 32 pages). */
export const MAX_ARG_STRLEN = 32 * PAGE_SIZE;

/** Linux's default stack rlimit (8 MiB): argv+envp may use a quarter of it. */
export const DEFAULT_STACK_RLIMIT = 8 * 1024 * 1024;

/** Bytes read to detect a `#!` script, and the longest honoured shebang line (BINPRM_BUF_SIZE). */
export const BINPRM_BUF_SIZE = 256;

/**
 * The start every stub shares (stub-start.S, assembled), the fixed addresses
 * of the injection's control pages, and the stub's ELF file. TypeScript
 * emits the ELF itself, so no compiler is needed at run time.
 */
import { buildStubElf, STUB_ELF_CODE_OFFSET } from '@tvisor/platform';
import { memfdCreate, MFD_CLOEXEC, writeAll } from '../native/libc.js';

/** Where the stub's code page lives in every application address space (mm's STUB_RESERVED_START). */
export const STUB_BASE = 0x7fff_fff0_0000;
/** Read-only page holding the injected-syscall table (7 words per entry). */
export const STUB_TABLE = STUB_BASE + 0x10000;
/** Writable page receiving the injected syscalls' results (and, past them, what the syscalls point at). */
export const STUB_RESULTS = STUB_BASE + 0x11000;
/** The end of the results page: the stub's image and its control pages lie in [STUB_BASE, STUB_CONTROL_END). */
export const STUB_CONTROL_END = STUB_BASE + 0x12000;
/** The top of the user address space (x86-64, 4-level paging): the end of the range mm keeps for the platform. */
export const USER_TOP = 0x7fff_ffff_f000;
/** Bytes per table entry: nr and six arguments. */
export const STUB_TABLE_ENTRY = 56;
export const STUB_TABLE_CAPACITY = Math.floor(4096 / STUB_TABLE_ENTRY);

/** The stub's name on the host (its comm, at most 15 bytes): what `ps` shows for a sandbox's processes. */
export const STUB_NAME = 'tvisor-stub';
/** The fd number of the memory file inside every stub. */
export const STUB_MEMFD = 3;

/** The assembled text of stub-start.S: the first bytes of every platform's stub code. */
export const STUB_START_CODE = Uint8Array.from([
  0xbf, 0x01, 0x00, 0x00, 0x00, 0xbe, 0x09, 0x00, 0x00, 0x00, 0xb8, 0x9d, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x31, 0xff, 0x31, 0xf6, 0x31, 0xd2, 0x45, 0x31, 0xd2,
  0xb8, 0x65, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x89, 0xc7, 0xbe, 0x13, 0x00, 0x00, 0x00, 0xb8, 0x3e, 0x00, 0x00, 0x00,
  0x0f, 0x05, 0x0f, 0x05, 0xcc, 0xeb, 0xfb, 0x49, 0x8b, 0x04, 0x24, 0x49, 0x8b, 0x7c, 0x24, 0x08, 0x49, 0x8b, 0x74, 0x24, 0x10, 0x49, 0x8b, 0x54, 0x24, 0x18,
  0x4d, 0x8b, 0x54, 0x24, 0x20, 0x4d, 0x8b, 0x44, 0x24, 0x28, 0x4d, 0x8b, 0x4c, 0x24, 0x30, 0x0f, 0x05, 0x49, 0x89, 0x06, 0x49, 0x83, 0xc4, 0x38, 0x49, 0x83,
  0xc6, 0x08, 0x49, 0xff, 0xcd, 0x75, 0xcc, 0xcc, 0xeb, 0xc9,
]);
/** Offsets of the labels in STUB_START_CODE (see stub-start.S). */
export const STUB_GADGET_OFFSET = 0x36;
export const STUB_BATCH_OFFSET = 0x3b;

/** File offset (and offset from STUB_BASE) of the code. */
export const STUB_CODE_FILE_OFFSET = STUB_ELF_CODE_OFFSET;
/** Where a stub's code starts in the stub. */
export const STUB_CODE_START = STUB_BASE + STUB_CODE_FILE_OFFSET;
export const STUB_GADGET = STUB_CODE_START + STUB_GADGET_OFFSET;
export const STUB_BATCH = STUB_CODE_START + STUB_BATCH_OFFSET;

/** A stub's whole code: STUB_START_CODE, then what the platform adds. */
export function stubCode(rest: readonly number[] = []): Uint8Array {
  return Uint8Array.from([...STUB_START_CODE, ...rest]);
}

/** The ELF file of a stub whose text is `code`, loaded read+exec at STUB_BASE. */
export function stubElf(code: Uint8Array): Uint8Array {
  return buildStubElf(code, STUB_BASE);
}

/** One memfd per stub code (both platforms may run in one sentry), written once and exec'd by every stub. */
const imageFds = new Map<Uint8Array, number>();

/** A path that execs the stub whose text is `code` (compare by identity: pass a module's constant). */
export function stubImagePath(code: Uint8Array): string {
  let fd = imageFds.get(code);
  if (fd === undefined) {
    fd = memfdCreate(STUB_NAME, MFD_CLOEXEC);
    if (fd < 0) throw new Error('memfd_create for the stub failed');
    writeAll(fd, stubElf(code));
    imageFds.set(code, fd);
  }
  return `/proc/self/fd/${fd}`;
}

/**
 * The stub program as bytes (assembled from stub.S) and the ELF file that
 * carries it. TypeScript emits the ELF itself, so no compiler is needed at run
 * time.
 */

/** Where the stub's code page lives in every application address space. */
export const STUB_BASE = 0x7fff_fff0_0000;
/** Read-only page holding the injected-syscall table (7 words per entry). */
export const STUB_TABLE = STUB_BASE + 0x10000;
/** Writable page receiving the injected syscalls' results. */
export const STUB_RESULTS = STUB_BASE + 0x11000;
/** Everything at and above STUB_BASE belongs to the platform. */
export const STUB_RESERVED_END = STUB_BASE + 0x12000;

/** The assembled text of stub.S. */
export const STUB_CODE = Uint8Array.from([
  0xbf, 0x01, 0x00, 0x00, 0x00, 0xbe, 0x09, 0x00, 0x00, 0x00, 0xb8, 0x9d, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x31, 0xff, 0x31, 0xf6, 0x31, 0xd2, 0x45, 0x31, 0xd2,
  0xb8, 0x65, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x89, 0xc7, 0xbe, 0x13, 0x00, 0x00, 0x00, 0xb8, 0x3e, 0x00, 0x00, 0x00,
  0x0f, 0x05, 0x0f, 0x05, 0xcc, 0xeb, 0xfb, 0x49, 0x8b, 0x04, 0x24, 0x49, 0x8b, 0x7c, 0x24, 0x08, 0x49, 0x8b, 0x74, 0x24, 0x10, 0x49, 0x8b, 0x54, 0x24, 0x18,
  0x4d, 0x8b, 0x54, 0x24, 0x20, 0x4d, 0x8b, 0x44, 0x24, 0x28, 0x4d, 0x8b, 0x4c, 0x24, 0x30, 0x0f, 0x05, 0x49, 0x89, 0x06, 0x49, 0x83, 0xc4, 0x38, 0x49, 0x83,
  0xc6, 0x08, 0x49, 0xff, 0xcd, 0x75, 0xcc, 0xcc, 0xeb, 0xc9,
]);
/** Offsets of the labels in STUB_CODE (see stub.S). */
export const STUB_GADGET_OFFSET = 0x36;
export const STUB_BATCH_OFFSET = 0x3b;
/** Bytes per table entry: nr and six arguments. */
export const STUB_TABLE_ENTRY = 56;
export const STUB_TABLE_CAPACITY = Math.floor(4096 / STUB_TABLE_ENTRY);

const ELF_HEADER_SIZE = 64;
const PHDR_SIZE = 56;
/** File offset (and offset from STUB_BASE) of the code. */
export const STUB_CODE_FILE_OFFSET = ELF_HEADER_SIZE + PHDR_SIZE;

export const STUB_GADGET = STUB_BASE + STUB_CODE_FILE_OFFSET + STUB_GADGET_OFFSET;
export const STUB_BATCH = STUB_BASE + STUB_CODE_FILE_OFFSET + STUB_BATCH_OFFSET;

/** A minimal static ELF64 executable: one read+exec PT_LOAD at STUB_BASE. */
export function buildStubElf(): Uint8Array {
  const size = STUB_CODE_FILE_OFFSET + STUB_CODE.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* LSB */, 1 /* EV_CURRENT */], 0);
  v.setUint16(16, 2, true); // e_type ET_EXEC
  v.setUint16(18, 62, true); // e_machine EM_X86_64
  v.setUint32(20, 1, true); // e_version
  v.setBigUint64(24, BigInt(STUB_BASE + STUB_CODE_FILE_OFFSET), true); // e_entry
  v.setBigUint64(32, BigInt(ELF_HEADER_SIZE), true); // e_phoff
  v.setUint16(52, ELF_HEADER_SIZE, true); // e_ehsize
  v.setUint16(54, PHDR_SIZE, true); // e_phentsize
  v.setUint16(56, 1, true); // e_phnum
  const ph = ELF_HEADER_SIZE;
  v.setUint32(ph + 0, 1, true); // PT_LOAD
  v.setUint32(ph + 4, 5, true); // PF_R | PF_X
  v.setBigUint64(ph + 8, 0n, true); // p_offset
  v.setBigUint64(ph + 16, BigInt(STUB_BASE), true); // p_vaddr
  v.setBigUint64(ph + 24, BigInt(STUB_BASE), true); // p_paddr
  v.setBigUint64(ph + 32, BigInt(size), true); // p_filesz
  v.setBigUint64(ph + 40, BigInt(size), true); // p_memsz
  v.setBigUint64(ph + 48, 0x1000n, true); // p_align
  out.set(STUB_CODE, STUB_CODE_FILE_OFFSET);
  return out;
}

import { EI, ELFCLASS, ELFDATA, ELFMAG, EM, ET, EV, Elf64Ehdr, Elf64Phdr, PF, PT } from '@tvisor/abi';

/** File offset (and offset from the load address) of the code in an ELF from `buildStubElf`: the ELF header, then one program header. */
export const STUB_ELF_CODE_OFFSET = Elf64Ehdr.size + Elf64Phdr.size;

/**
 * A minimal static ELF64 executable for a platform's stub: one read+exec
 * PT_LOAD of the whole file at `base`, entry at the code's first byte
 * (`base + STUB_ELF_CODE_OFFSET`). Platforms emit their stubs with it so
 * no compiler or linker is needed at run time.
 */
export function buildStubElf(code: Uint8Array, base: number): Uint8Array {
  const size = STUB_ELF_CODE_OFFSET + code.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const ident = new Uint8Array(EI.NIDENT);
  ident.set([ELFMAG.MAG0, ELFMAG.MAG1, ELFMAG.MAG2, ELFMAG.MAG3], EI.MAG0);
  ident[EI.CLASS] = ELFCLASS['64'];
  ident[EI.DATA] = ELFDATA['2LSB'];
  ident[EI.VERSION] = EV.CURRENT;
  Elf64Ehdr.encode(v, 0, {
    e_ident: ident,
    e_type: ET.EXEC,
    e_machine: EM.X86_64,
    e_version: EV.CURRENT,
    e_entry: base + STUB_ELF_CODE_OFFSET,
    e_phoff: Elf64Ehdr.size,
    e_shoff: 0,
    e_flags: 0,
    e_ehsize: Elf64Ehdr.size,
    e_phentsize: Elf64Phdr.size,
    e_phnum: 1,
    e_shentsize: 0,
    e_shnum: 0,
    e_shstrndx: 0,
  });
  Elf64Phdr.encode(v, Elf64Ehdr.size, {
    p_type: PT.LOAD,
    p_flags: PF.R | PF.X,
    p_offset: 0,
    p_vaddr: base,
    p_paddr: base,
    p_filesz: size,
    p_memsz: size,
    p_align: 0x1000,
  });
  out.set(code, STUB_ELF_CODE_OFFSET);
  return out;
}

import { bytes, u16, u32, u64 } from './fields.js';
import { struct } from './struct.js';

/** Elf64_Ehdr: the ELF file header. */
export interface Elf64Ehdr {
  e_ident: Uint8Array;
  e_type: number;
  e_machine: number;
  e_version: number;
  e_entry: number;
  e_phoff: number;
  e_shoff: number;
  e_flags: number;
  e_ehsize: number;
  e_phentsize: number;
  e_phnum: number;
  e_shentsize: number;
  e_shnum: number;
  e_shstrndx: number;
}
export const Elf64Ehdr = struct<Elf64Ehdr>('Elf64_Ehdr', 64, {
  e_ident: bytes(0, 16),
  e_type: u16(16),
  e_machine: u16(18),
  e_version: u32(20),
  e_entry: u64(24),
  e_phoff: u64(32),
  e_shoff: u64(40),
  e_flags: u32(48),
  e_ehsize: u16(52),
  e_phentsize: u16(54),
  e_phnum: u16(56),
  e_shentsize: u16(58),
  e_shnum: u16(60),
  e_shstrndx: u16(62),
});

/** Elf64_Phdr: one program header. */
export interface Elf64Phdr {
  p_type: number;
  p_flags: number;
  p_offset: number;
  p_vaddr: number;
  p_paddr: number;
  p_filesz: number;
  p_memsz: number;
  p_align: number;
}
export const Elf64Phdr = struct<Elf64Phdr>('Elf64_Phdr', 56, {
  p_type: u32(0),
  p_flags: u32(4),
  p_offset: u64(8),
  p_vaddr: u64(16),
  p_paddr: u64(24),
  p_filesz: u64(32),
  p_memsz: u64(40),
  p_align: u64(48),
});

/** Elf64_auxv_t: one auxiliary vector entry (type from AUXV, value). */
export interface Elf64Auxv {
  a_type: number;
  a_val: number;
}
export const Elf64Auxv = struct<Elf64Auxv>('Elf64_auxv_t', 16, { a_type: u64(0), a_val: u64(8, 'a_un.a_val') });

export * from './registers.js';
export type { AddressSpace, Prot } from './address-space.js';
export type { Platform, PlatformAddressSpace, PlatformContext, StopEvent } from './platform.js';
export { buildStubElf, STUB_ELF_CODE_OFFSET } from './stub-elf.js';

export * from './registers.js';
export type { AddressSpace, Prot } from './address-space.js';
export type { Platform, PlatformAddressSpace, PlatformContext, StopEvent } from './platform.js';

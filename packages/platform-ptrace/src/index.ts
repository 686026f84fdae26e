export { PtracePlatform } from './ptrace-platform.js';
export { StubProcess, STUB_MEMFD, type StubMemory } from './stub/stub-process.js';
export { buildStubElf, STUB_CODE, STUB_RESERVED_END } from './stub/stub-image.js';

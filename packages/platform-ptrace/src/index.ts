export { PtracePlatform } from './ptrace-platform.js';
export { StubProcess, STUB_MEMFD, type StubMemory } from './stub/stub-process.js';
export * from './stub/stub-image.js';

export { SystrapPlatform, MAX_SLOTS } from './systrap-platform.js';
export { systrapSupport, type SystrapSupport } from './support.js';
export { STUB_NAME, HANDLED_SIGNALS, type StubMemory } from './stub/stub-process.js';
export { buildStubFilter, STUB_ALLOWED_SYSCALLS, STUB_THREAD_CLONE_FLAGS } from './stub/stub-seccomp.js';

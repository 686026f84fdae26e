export { SystrapPlatform, MAX_SLOTS } from './systrap-platform.js';
export { systrapSupport, type SystrapSupport } from './support.js';
export { STUB_NAME, STUB_MEMFD, HANDLED_SIGNALS, type StubMemory } from './stub/stub-process.js';
export { STUB_BATCH } from '@tvisor/platform-stub';
export { buildStubFilter, STUB_ALLOWED_SYSCALLS, STUB_HELD_SYSCALLS, STUB_THREAD_CLONE_FLAGS } from './stub/stub-seccomp.js';

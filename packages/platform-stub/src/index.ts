export {
  allocNative,
  close,
  errno,
  kill,
  memfdCreate,
  MFD_CLOEXEC,
  POSIX_SPAWN_SETPGROUP,
  POSIX_SPAWN_SETSIGDEF,
  POSIX_SPAWN_SETSIGMASK,
  ptrace,
  spawn,
  tgkill,
  writeAll,
  type NativeBuffer,
  type SpawnOptions,
} from './native/libc.js';
export { cont, detach, getEventMsg, getRegs, ptraceOrThrow, setOptions, setRegs, wait, waitOnce } from './native/tracer.js';
export * from './stub/stub-start.js';
export { StubInjector, type StubMemory, type StubStart } from './stub/stub-injector.js';
export { FAULT_SIGNALS, HostThreadClock } from './host-thread.js';

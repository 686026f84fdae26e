// Syscalls, errors, signals.
export * from './syscalls.js';
export * from './errno.js';
export * from './signals.js';
export * from './wait-status.js';

// Constant groups.
export * from './constants/fcntl.js';
export * from './constants/mode.js';
export * from './constants/statx.js';
export * from './constants/mount.js';
export * from './constants/mman.js';
export * from './constants/process.js';
export * from './constants/clone.js';
export * from './constants/futex.js';
export * from './constants/prctl.js';
export * from './constants/resource.js';
export * from './constants/time.js';
export * from './constants/siginfo.js';
export * from './constants/ptrace.js';
export * from './constants/regs.js';
export * from './constants/elf.js';
export * from './constants/ioctl.js';
export * from './constants/tty.js';
export * from './constants/socket.js';
export * from './constants/netdev.js';
export * from './constants/netlink.js';
export * from './constants/aio.js';
export * from './constants/events.js';
export * from './constants/mempolicy.js';
export * from './constants/bpf.js';
export * from './constants/ipc.js';

// Struct codecs.
export * from './codec/index.js';

import { IOC, ioc } from './ioctl.js';

/** prctl(2) options. */
export const PR = {
  SET_PDEATHSIG: 1,
  GET_PDEATHSIG: 2,
  GET_DUMPABLE: 3,
  SET_DUMPABLE: 4,
  GET_UNALIGN: 5,
  SET_UNALIGN: 6,
  GET_KEEPCAPS: 7,
  SET_KEEPCAPS: 8,
  GET_FPEMU: 9,
  SET_FPEMU: 10,
  GET_FPEXC: 11,
  SET_FPEXC: 12,
  GET_TIMING: 13,
  SET_TIMING: 14,
  SET_NAME: 15,
  GET_NAME: 16,
  GET_ENDIAN: 19,
  SET_ENDIAN: 20,
  GET_SECCOMP: 21,
  SET_SECCOMP: 22,
  CAPBSET_READ: 23,
  CAPBSET_DROP: 24,
  GET_TSC: 25,
  SET_TSC: 26,
  GET_SECUREBITS: 27,
  SET_SECUREBITS: 28,
  SET_TIMERSLACK: 29,
  GET_TIMERSLACK: 30,
  TASK_PERF_EVENTS_DISABLE: 31,
  TASK_PERF_EVENTS_ENABLE: 32,
  MCE_KILL: 33,
  MCE_KILL_GET: 34,
  SET_MM: 35,
  SET_CHILD_SUBREAPER: 36,
  GET_CHILD_SUBREAPER: 37,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  GET_TID_ADDRESS: 40,
  SET_THP_DISABLE: 41,
  GET_THP_DISABLE: 42,
  SET_FP_MODE: 45,
  GET_FP_MODE: 46,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_IS_SET: 1,
  CAP_AMBIENT_RAISE: 2,
  CAP_AMBIENT_LOWER: 3,
  CAP_AMBIENT_CLEAR_ALL: 4,
  GET_SPECULATION_CTRL: 52,
  SET_SPECULATION_CTRL: 53,
  SET_IO_FLUSHER: 57,
  GET_IO_FLUSHER: 58,
  SET_SYSCALL_USER_DISPATCH: 59,
  SCHED_CORE: 62,
  SET_VMA: 0x53564d41,
  SET_VMA_ANON_NAME: 0,
  SET_PTRACER: 0x59616d61,
} as const;

/** PR_SET_PTRACER's "any process may trace me": (unsigned long)-1, read as a signed argument. */
export const PR_SET_PTRACER_ANY = -1;

/** Capability numbers (capabilities(7)). */
export const CAP = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10,
  NET_BROADCAST: 11,
  NET_ADMIN: 12,
  NET_RAW: 13,
  IPC_LOCK: 14,
  IPC_OWNER: 15,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_PACCT: 20,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
  SYS_NICE: 23,
  SYS_RESOURCE: 24,
  SYS_TIME: 25,
  SYS_TTY_CONFIG: 26,
  MKNOD: 27,
  LEASE: 28,
  AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30,
  SETFCAP: 31,
  MAC_OVERRIDE: 32,
  MAC_ADMIN: 33,
  SYSLOG: 34,
  WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36,
  AUDIT_READ: 37,
  PERFMON: 38,
  BPF: 39,
  CHECKPOINT_RESTORE: 40,
  LAST_CAP: 40,
} as const;

/** capget/capset header versions (_LINUX_CAPABILITY_VERSION_*) and v3's data word count. */
export const LINUX_CAPABILITY = {
  VERSION_1: 0x19980330,
  VERSION_2: 0x20071026,
  VERSION_3: 0x20080522,
  U32S_1: 1,
  U32S_3: 2,
} as const;

/** securebits flag numbers (linux/securebits.h SECURE_*; the SECBIT_* masks are 1 << these): each flag's lock is the bit above it. */
export const SECURE = {
  NOROOT: 0,
  NOROOT_LOCKED: 1,
  NO_SETUID_FIXUP: 2,
  NO_SETUID_FIXUP_LOCKED: 3,
  KEEP_CAPS: 4,
  KEEP_CAPS_LOCKED: 5,
  NO_CAP_AMBIENT_RAISE: 6,
  NO_CAP_AMBIENT_RAISE_LOCKED: 7,
} as const;

/** seccomp(2) operations. */
export const SECCOMP = {
  MODE_DISABLED: 0,
  MODE_STRICT: 1,
  MODE_FILTER: 2,
  SET_MODE_STRICT: 0,
  SET_MODE_FILTER: 1,
  GET_ACTION_AVAIL: 2,
  GET_NOTIF_SIZES: 3,
} as const;

/** seccomp filter return actions (upper 16 bits) and the data mask. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  KILL: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
  ACTION_FULL: 0xffff0000,
  ACTION: 0x7fff0000,
  DATA: 0x0000ffff,
} as const;

/** seccomp(SECCOMP_SET_MODE_FILTER) flags. */
export const SECCOMP_FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
} as const;

/** seccomp user-notification ioctls on a listener fd (SECCOMP_IOCTL_NOTIF_*): receive a notification, answer it, check it is still pending, install an fd in the caller. */
export const SECCOMP_IOCTL_NOTIF = {
  RECV: ioc(IOC.READ | IOC.WRITE, '!', 0, 80),
  SEND: ioc(IOC.READ | IOC.WRITE, '!', 1, 24),
  ID_VALID: ioc(IOC.WRITE, '!', 2, 8),
  ADDFD: ioc(IOC.WRITE, '!', 3, 24),
} as const;

/** struct seccomp_notif_addfd flags: SETFD puts the fd at newfd; SEND answers the held syscall with it, atomically. */
export const SECCOMP_ADDFD_FLAG = {
  SETFD: 1,
  SEND: 2,
} as const;

/** struct seccomp_notif_resp flags: CONTINUE lets the host run the syscall as made. */
export const SECCOMP_USER_NOTIF_FLAG = {
  CONTINUE: 1,
} as const;

/** seccomp_data.arch of x86-64 syscalls. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;

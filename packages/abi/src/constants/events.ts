/** poll(2) event bits. */
export const POLL = {
  IN: 0x1,
  PRI: 0x2,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  NVAL: 0x20,
  RDNORM: 0x40,
  RDBAND: 0x80,
  WRNORM: 0x100,
  WRBAND: 0x200,
  MSG: 0x400,
  REMOVE: 0x1000,
  RDHUP: 0x2000,
} as const;

/** epoll event bits and epoll_create1 flags. */
export const EPOLL = {
  IN: 0x1,
  PRI: 0x2,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  NVAL: 0x20,
  RDNORM: 0x40,
  RDBAND: 0x80,
  WRNORM: 0x100,
  WRBAND: 0x200,
  MSG: 0x400,
  RDHUP: 0x2000,
  EXCLUSIVE: 0x10000000,
  WAKEUP: 0x20000000,
  ONESHOT: 0x40000000,
  ET: 0x80000000,
  CLOEXEC: 0o2000000,
} as const;

/** epoll_ctl(2) operations. */
export const EPOLL_CTL = { ADD: 1, DEL: 2, MOD: 3 } as const;

/** eventfd2(2) flags. */
export const EFD = { SEMAPHORE: 1, NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;

/** timerfd_create/timerfd_settime flags. */
export const TFD = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000, TIMER_ABSTIME: 1, TIMER_CANCEL_ON_SET: 2 } as const;

/** signalfd4(2) flags. */
export const SFD = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;

/** inotify event bits and inotify_init1 flags. */
export const IN = {
  ACCESS: 0x1,
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  CLOSE_NOWRITE: 0x10,
  OPEN: 0x20,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  /** IN_CLOSE_WRITE | IN_CLOSE_NOWRITE. */
  CLOSE: 0x18,
  /** IN_MOVED_FROM | IN_MOVED_TO. */
  MOVE: 0xc0,
  /** Every event bit (0x1 through IN_MOVE_SELF). */
  ALL_EVENTS: 0xfff,
  UNMOUNT: 0x2000,
  Q_OVERFLOW: 0x4000,
  IGNORED: 0x8000,
  ONLYDIR: 0x1000000,
  DONT_FOLLOW: 0x2000000,
  EXCL_UNLINK: 0x4000000,
  MASK_CREATE: 0x10000000,
  MASK_ADD: 0x20000000,
  ISDIR: 0x40000000,
  ONESHOT: 0x80000000,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
} as const;

/** getrandom(2) flags. */
export const GRND = { NONBLOCK: 1, RANDOM: 2, INSECURE: 4 } as const;

/** memfd_create(2) flags. */
export const MFD = { CLOEXEC: 1, ALLOW_SEALING: 2, HUGETLB: 4 } as const;

/** close_range(2) flags. */
export const CLOSE_RANGE = { UNSHARE: 2, CLOEXEC: 4 } as const;

/** preadv2(2)/pwritev2(2) flags. */
export const RWF = { HIPRI: 1, DSYNC: 2, SYNC: 4, NOWAIT: 8, APPEND: 0x10, NOAPPEND: 0x20 } as const;

/** fallocate(2) modes. */
export const FALLOC_FL = {
  KEEP_SIZE: 0x1,
  PUNCH_HOLE: 0x2,
  NO_HIDE_STALE: 0x4,
  COLLAPSE_RANGE: 0x8,
  ZERO_RANGE: 0x10,
  INSERT_RANGE: 0x20,
  UNSHARE_RANGE: 0x40,
} as const;

/** Path limits. */
export const LIMITS = { PATH_MAX: 4096, NAME_MAX: 255, PIPE_BUF: 4096, XATTR_NAME_MAX: 255, XATTR_SIZE_MAX: 65536, IOV_MAX: 1024 } as const;

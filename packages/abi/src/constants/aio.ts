/** Linux AIO request opcodes (struct iocb's aio_lio_opcode, <linux/aio_abi.h>). */
export const IOCB_CMD = {
  PREAD: 0,
  PWRITE: 1,
  FSYNC: 2,
  FDSYNC: 3,
  POLL: 5,
  NOOP: 6,
  PREADV: 7,
  PWRITEV: 8,
} as const;

/** struct iocb's aio_flags bits. */
export const IOCB_FLAG = {
  /** Signal the eventfd in aio_resfd on completion. */
  RESFD: 1,
  /** aio_reqprio holds an I/O priority. */
  IOPRIO: 2,
} as const;

/** io_uring_setup(2) flags (io_uring_params.flags). */
export const IORING_SETUP = {
  IOPOLL: 1 << 0,
  SQPOLL: 1 << 1,
  SQ_AFF: 1 << 2,
  CQSIZE: 1 << 3,
  CLAMP: 1 << 4,
  ATTACH_WQ: 1 << 5,
  R_DISABLED: 1 << 6,
} as const;

/** io_uring submission opcodes (io_uring_sqe.opcode). */
export const IORING_OP = {
  NOP: 0,
  READV: 1,
  WRITEV: 2,
  FSYNC: 3,
  READ_FIXED: 4,
  WRITE_FIXED: 5,
  READ: 22,
  WRITE: 23,
} as const;

/** io_uring_enter(2) flags. */
export const IORING_ENTER = {
  GETEVENTS: 1 << 0,
  SQ_WAKEUP: 1 << 1,
  SQ_WAIT: 1 << 2,
  EXT_ARG: 1 << 3,
} as const;

/** mmap(2) offsets that select an io_uring's rings or its submission entries. */
export const IORING_OFF = {
  SQ_RING: 0,
  CQ_RING: 0x8000000,
  SQES: 0x10000000,
} as const;

/** io_uring_params.features bits. */
export const IORING_FEAT = {
  /** The submission and completion rings are one mapping. */
  SINGLE_MMAP: 1 << 0,
  NODROP: 1 << 1,
  SUBMIT_STABLE: 1 << 2,
  RW_CUR_POS: 1 << 3,
} as const;

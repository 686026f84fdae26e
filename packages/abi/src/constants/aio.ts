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

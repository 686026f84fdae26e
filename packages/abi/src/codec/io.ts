import { bytes, i16, i32, i64n, nested, u16, u32, u64, u64n, u8 } from './fields.js';
import { struct } from './struct.js';

/** struct iovec: a user buffer (address and length). */
export interface Iovec {
  iov_base: number;
  iov_len: number;
}
export const Iovec = struct<Iovec>('struct iovec', 16, { iov_base: u64(0), iov_len: u64(8) });

/** struct pollfd (poll(2), ppoll(2)). */
export interface Pollfd {
  fd: number;
  events: number;
  revents: number;
}
export const Pollfd = struct<Pollfd>('struct pollfd', 8, { fd: i32(0), events: i16(4), revents: i16(6) });

/**
 * struct epoll_event: packed on x86-64 (12 bytes, `data` at offset 4). `data`
 * is the caller's opaque 64-bit cookie, hence bigint.
 */
export interface EpollEvent {
  events: number;
  data: bigint;
}
export const EpollEvent = struct<EpollEvent>('struct epoll_event', 12, { events: u32(0), data: u64n(4) });

/**
 * struct inotify_event without its name: read(2) on an inotify fd returns
 * these headers, each followed by `len` bytes of NUL-padded name.
 */
export interface InotifyEvent {
  wd: number;
  mask: number;
  cookie: number;
  len: number;
}
export const InotifyEvent = struct<InotifyEvent>('struct inotify_event', 16, { wd: i32(0), mask: u32(4), cookie: u32(8), len: u32(12) });

/** struct iocb: one Linux AIO request (io_submit(2)); 64-bit fields as bigint because the kernel checks them whole. */
export interface Iocb {
  aio_data: bigint;
  aio_key: number;
  aio_rw_flags: number;
  aio_lio_opcode: number;
  aio_reqprio: number;
  aio_fildes: number;
  aio_buf: bigint;
  aio_nbytes: bigint;
  aio_offset: bigint;
  aio_reserved2: bigint;
  aio_flags: number;
  aio_resfd: number;
}
export const Iocb = struct<Iocb>('struct iocb', 64, {
  aio_data: u64n(0),
  aio_key: u32(8),
  aio_rw_flags: u32(12),
  aio_lio_opcode: u16(16),
  aio_reqprio: i16(18),
  aio_fildes: u32(20),
  aio_buf: u64n(24),
  aio_nbytes: u64n(32),
  aio_offset: i64n(40),
  aio_reserved2: u64n(48),
  aio_flags: u32(56),
  aio_resfd: u32(60),
});

/** struct io_event: one finished AIO request (io_getevents(2)). */
export interface IoEvent {
  data: bigint;
  obj: bigint;
  res: bigint;
  res2: bigint;
}
export const IoEvent = struct<IoEvent>('struct io_event', 32, { data: u64n(0), obj: u64n(8), res: i64n(16), res2: i64n(24) });

/** struct io_sqring_offsets: where each field of an io_uring's submission ring lies in its mapping. */
export interface IoSqringOffsets {
  head: number;
  tail: number;
  ring_mask: number;
  ring_entries: number;
  flags: number;
  dropped: number;
  array: number;
}
export const IoSqringOffsets = struct<IoSqringOffsets>('struct io_sqring_offsets', 40, {
  head: u32(0),
  tail: u32(4),
  ring_mask: u32(8),
  ring_entries: u32(12),
  flags: u32(16),
  dropped: u32(20),
  array: u32(24),
});

/** struct io_cqring_offsets: where each field of an io_uring's completion ring lies in its mapping. */
export interface IoCqringOffsets {
  head: number;
  tail: number;
  ring_mask: number;
  ring_entries: number;
  overflow: number;
  cqes: number;
  flags: number;
}
export const IoCqringOffsets = struct<IoCqringOffsets>('struct io_cqring_offsets', 40, {
  head: u32(0),
  tail: u32(4),
  ring_mask: u32(8),
  ring_entries: u32(12),
  overflow: u32(16),
  cqes: u32(20),
  flags: u32(24),
});

/** struct io_uring_params: io_uring_setup(2)'s argument and result. */
export interface IoUringParams {
  sq_entries: number;
  cq_entries: number;
  flags: number;
  sq_thread_cpu: number;
  sq_thread_idle: number;
  features: number;
  wq_fd: number;
  resv: Uint8Array;
  sq_off: IoSqringOffsets;
  cq_off: IoCqringOffsets;
}
export const IoUringParams = struct<IoUringParams>('struct io_uring_params', 120, {
  sq_entries: u32(0),
  cq_entries: u32(4),
  flags: u32(8),
  sq_thread_cpu: u32(12),
  sq_thread_idle: u32(16),
  features: u32(20),
  wq_fd: u32(24),
  resv: bytes(28, 12),
  sq_off: nested(40, IoSqringOffsets),
  cq_off: nested(80, IoCqringOffsets),
});

/** struct io_uring_sqe: one submission (the fields the sentry reads). */
export interface IoUringSqe {
  opcode: number;
  flags: number;
  ioprio: number;
  fd: number;
  off: bigint;
  addr: bigint;
  len: number;
  rw_flags: number;
  user_data: bigint;
  buf_index: number;
  personality: number;
  splice_fd_in: number;
}
export const IoUringSqe = struct<IoUringSqe>('struct io_uring_sqe', 64, {
  opcode: u8(0),
  flags: u8(1),
  ioprio: u16(2),
  fd: i32(4),
  off: u64n(8),
  addr: u64n(16),
  len: u32(24),
  rw_flags: u32(28),
  user_data: u64n(32),
  buf_index: u16(40),
  personality: u16(42),
  splice_fd_in: i32(44),
});

/** struct io_uring_cqe: one completion. */
export interface IoUringCqe {
  user_data: bigint;
  res: number;
  flags: number;
}
export const IoUringCqe = struct<IoUringCqe>('struct io_uring_cqe', 16, { user_data: u64n(0), res: i32(8), flags: u32(12) });

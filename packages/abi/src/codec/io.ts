import { i16, i32, u32, u64, u64n } from './fields.js';
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

// The libc entry points the frame devices (TAP, AF_PACKET) need, bound with
// koffi. This directory is the only place in the package that calls native code.

import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

export const open = libc.func('int open(const char *path, int flags)');
export const close = libc.func('int close(int fd)');
export const read = libc.func('long read(int fd, _Out_ uint8_t *buf, unsigned long count)');
export const write = libc.func('long write(int fd, const uint8_t *buf, unsigned long count)');
export const ioctl = libc.func('int ioctl(int fd, unsigned long request, ...)');
export const poll = libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');
export const socket = libc.func('int socket(int domain, int type, int protocol)');
export const bind = libc.func('int bind(int fd, const uint8_t *addr, unsigned int len)');
export const setsockopt = libc.func('int setsockopt(int fd, int level, int name, const uint8_t *value, unsigned int len)');
export const setns = libc.func('int setns(int fd, int nstype)');
export const ifNameToIndex = libc.func('unsigned int if_nametoindex(const char *name)');

/** The calling thread's errno after a failed call. */
export function lastErrno(): number {
  return koffi.errno();
}

/** The address of a buffer's bytes, for structs that carry a pointer (ifreq.ifr_data). */
export function addressOf(buf: Uint8Array): bigint {
  return koffi.address(buf);
}

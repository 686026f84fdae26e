/**
 * Terminal ioctls on the host's stdio fds, through koffi. The sandbox's
 * fds 0-2 are sentry objects that forward to these host fds; the app never
 * holds a host fd.
 */
import { Errno } from '@tvisor/abi';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, uint8_t *arg)');

/** ioctl(hostFd, request, buf) with `buf` as the in/out argument; returns -errno on failure. */
export function hostIoctl(hostFd: number, request: number, buf: Uint8Array): number {
  const rc = ioctl_(hostFd, request, buf) as number;
  return rc < 0 ? -(koffi.errno() as number) : rc;
}

/**
 * poll(2) on one host fd: `events` is a POLL* mask; returns the revents (0
 * when the timeout passed) or -errno. A zero timeout never blocks.
 */
const poll_ = libc.func('int poll(uint8_t *fds, unsigned long nfds, int timeout)');

function pollFd(fd: number, events: number): Uint8Array {
  const buf = new Uint8Array(8);
  const v = new DataView(buf.buffer);
  v.setInt32(0, fd, true);
  v.setInt16(4, events, true);
  return buf;
}

function revents(buf: Uint8Array): number {
  return new DataView(buf.buffer).getUint16(6, true);
}

export function hostPoll(fd: number, events: number): number {
  const buf = pollFd(fd, events);
  for (;;) {
    const rc = poll_(buf, 1, 0) as number;
    if (rc >= 0) return revents(buf);
    const e = koffi.errno() as number;
    // A host signal (a stub's SIGCHLD, a forwarded one) ends even a zero-timeout poll, never restarted:
    // that is no error of the fd (reported as one, tail -F took its stdout pipe for closed and died of SIGPIPE).
    if (e !== Errno.EINTR) return -e;
  }
}

/**
 * The same, waiting up to `timeoutMs` on one of Node's worker threads, so
 * the sentry's thread never blocks; `done` gets the revents (0 on timeout)
 * on the event loop.
 */
export function hostPollAsync(fd: number, events: number, timeoutMs: number, done: (revents: number) => void): void {
  const buf = pollFd(fd, events);
  poll_.async(buf, 1, timeoutMs, (err: unknown, rc: number) => done(err || rc < 0 ? 0 : revents(buf)));
}

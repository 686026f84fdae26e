/**
 * The sentry's end of a stub's seccomp user-notification listener: the
 * stub's filter holds each mmap made from the stub's code until the sentry
 * has checked it (SECCOMP_RET_USER_NOTIF), so the memory-file fd the stub
 * holds maps only what the sentry asked for.
 */
import koffi from 'koffi';
import {
  Errno,
  POLL,
  Pollfd,
  SECCOMP,
  SECCOMP_ADDFD_FLAG,
  SECCOMP_IOCTL_NOTIF,
  SECCOMP_USER_NOTIF_FLAG,
  SeccompNotif,
  SeccompNotifAddfd,
  SeccompNotifResp,
  SYS,
  SysError,
} from '@tvisor/abi';
import { allocNative, close, errno } from '@tvisor/platform-stub';

const libc = koffi.load('libc.so.6');
const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, uintptr_t arg)');
const poll_ = libc.func('int poll(uintptr_t fds, unsigned long nfds, int timeout)');
const syscall3_ = libc.func('long syscall(long nr, long a0, long a1, uintptr_t a2)');

const scratch = allocNative(128 + 64);
const NOTIF_AT = 0;
const RESP_AT = 128;
const view = new DataView(scratch.bytes);

/** One held syscall: the notification id, the calling thread and its seccomp_data. */
export interface HeldSyscall {
  id: bigint;
  tid: number;
  nr: number;
  args: bigint[];
}

/**
 * Moves the listener fd `fd` of stub `pid` (which must be stopped under the
 * sentry's ptrace) into the sentry; returns the sentry's fd (close-on-exec).
 */
export function takeListener(pid: number, fd: number): number {
  const pidfd = Number(syscall3_(SYS.pidfd_open, pid, 0, 0));
  if (pidfd < 0) throw new SysError(errno() || Errno.EIO, `pidfd_open of stub ${pid}`);
  try {
    const own = Number(syscall3_(SYS.pidfd_getfd, pidfd, fd, 0));
    if (own < 0) throw new SysError(errno() || Errno.EIO, `pidfd_getfd of stub ${pid}'s seccomp listener`);
    return own;
  } finally {
    close(pidfd);
  }
}

let pollfds = allocNative(8 * 64);

/**
 * Waits up to `timeoutMs` (0: just looks) until a listener of `fds` holds a
 * syscall or has no stub thread left under its filter; returns, per fd,
 * 'ready', 'gone' or 'none'.
 */
export function pollListeners(fds: readonly number[], timeoutMs: number): Array<'ready' | 'none' | 'gone'> {
  if (fds.length * Pollfd.size > pollfds.bytes.byteLength) pollfds = allocNative(fds.length * 2 * Pollfd.size);
  const v = new DataView(pollfds.bytes);
  fds.forEach((fd, i) => Pollfd.encode(v, i * Pollfd.size, { fd, events: POLL.IN, revents: 0 }));
  const n = poll_(pollfds.address, fds.length, timeoutMs) as number;
  return fds.map((_, i) => {
    if (n <= 0) return 'none';
    const { revents } = Pollfd.decode(v, i * Pollfd.size);
    if (revents & POLL.IN) return 'ready';
    return revents === 0 ? 'none' : 'gone';
  });
}

/** Receives one held syscall; undefined if its thread gave up meanwhile (a signal, or death). */
export function receiveHeld(fd: number): HeldSyscall | undefined {
  new Uint8Array(scratch.bytes, NOTIF_AT, SeccompNotif.size).fill(0);
  if ((ioctl_(fd, SECCOMP_IOCTL_NOTIF.RECV, scratch.address + BigInt(NOTIF_AT)) as number) < 0) return undefined;
  const n = SeccompNotif.decode(view, NOTIF_AT);
  return { id: n.id, tid: n.pid, nr: n.data.nr, args: n.data.args };
}

/** Lets a held syscall run as made (CONTINUE), or fails it with `errno`. False if it is no longer held. */
export function answerHeld(fd: number, id: bigint, allow: boolean, err: number = Errno.EPERM): boolean {
  SeccompNotifResp.encode(view, RESP_AT, allow ? { id, val: 0n, error: 0, flags: SECCOMP_USER_NOTIF_FLAG.CONTINUE } : { id, val: 0n, error: -err, flags: 0 });
  return (ioctl_(fd, SECCOMP_IOCTL_NOTIF.SEND, scratch.address + BigInt(RESP_AT)) as number) === 0;
}

/**
 * Answers a held syscall by installing the sentry's fd `srcfd` in the caller
 * at `newfd` (replacing nothing: the caller holds no fd there) and making it
 * the syscall's return value, atomically (SECCOMP_ADDFD_FLAG_SEND, Linux
 * 5.14). False if the syscall is no longer held or the host refused.
 */
export function answerWithFd(fd: number, id: bigint, srcfd: number, newfd: number): boolean {
  SeccompNotifAddfd.encode(view, RESP_AT, { id, flags: SECCOMP_ADDFD_FLAG.SETFD | SECCOMP_ADDFD_FLAG.SEND, srcfd, newfd, newfd_flags: 0 });
  return (ioctl_(fd, SECCOMP_IOCTL_NOTIF.ADDFD, scratch.address + BigInt(RESP_AT)) as number) >= 0;
}

/** Whether the host's seccomp knows filter return `action` (seccomp(SECCOMP_GET_ACTION_AVAIL)). */
export function seccompActionAvailable(action: number): boolean {
  view.setUint32(NOTIF_AT, action >>> 0, true);
  return Number(syscall3_(SYS.seccomp, SECCOMP.GET_ACTION_AVAIL, 0, scratch.address + BigInt(NOTIF_AT))) === 0;
}

/** Whether the host has pidfd_open and pidfd_getfd (Linux 5.6): probed on our own pid and an fd that is never open. */
export function pidfdGetfdAvailable(): boolean {
  const pidfd = Number(syscall3_(SYS.pidfd_open, process.pid, 0, 0));
  if (pidfd < 0) return false;
  try {
    return Number(syscall3_(SYS.pidfd_getfd, pidfd, -1, 0)) < 0 && errno() === Errno.EBADF;
  } finally {
    close(pidfd);
  }
}

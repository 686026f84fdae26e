/**
 * Host calls the OCI runtime needs and Node lacks, through koffi: passing
 * fds over a unix socket (SCM_RIGHTS), the peer's credentials
 * (SO_PEERCRED), and a host pseudo-terminal for `process.terminal`.
 * Buffers handed to libc are koffi allocations addressed by pointer, so
 * libc reads and writes them in place.
 */
import koffi from 'koffi';
import { O, SCM, SO, SOL } from '@tvisor/abi';

const libc = koffi.load('libc.so.6');
const sendmsg_ = libc.func('intptr_t sendmsg(int fd, void *msg, int flags)');
const recvmsg_ = libc.func('intptr_t recvmsg(int fd, void *msg, int flags)');
const getsockopt_ = libc.func('int getsockopt(int fd, int level, int name, void *val, void *len)');
const posix_openpt_ = libc.func('int posix_openpt(int flags)');
const grantpt_ = libc.func('int grantpt(int fd)');
const unlockpt_ = libc.func('int unlockpt(int fd)');
const ptsname_r_ = libc.func('int ptsname_r(int fd, void *buf, size_t len)');

/** A host call failed: `errno` is its error number, `call` its name. */
export class HostCallError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call}: errno ${errno}`);
  }
}

interface Raw {
  ptr: unknown;
  addr: bigint;
  bytes: Uint8Array;
}

function raw(size: number): Raw {
  const ptr = koffi.alloc('uint8', size);
  return { ptr, addr: BigInt(koffi.address(ptr) as bigint), bytes: new Uint8Array(koffi.view(ptr, size)) };
}

const CMSG_HEADER = 16; // struct cmsghdr: size_t len; int level; int type
const MAX_FDS = 16;

/** A struct msghdr over one data buffer and a control buffer for up to MAX_FDS fds. */
function msghdr(data: Raw, dataLen: number, control: Raw, controlLen: number): Raw {
  const iov = raw(16);
  const iv = new DataView(iov.bytes.buffer);
  iv.setBigUint64(0, data.addr, true);
  iv.setBigUint64(8, BigInt(dataLen), true);
  const msg = raw(56);
  const mv = new DataView(msg.bytes.buffer);
  mv.setBigUint64(16, iov.addr, true);
  mv.setBigUint64(24, 1n, true);
  mv.setBigUint64(32, controlLen > 0 ? control.addr : 0n, true);
  mv.setBigUint64(40, BigInt(controlLen), true);
  (msg as Raw & { iov: Raw }).iov = iov;
  return msg;
}

function free(...bufs: Raw[]): void {
  for (const b of bufs) {
    const iov = (b as Raw & { iov?: Raw }).iov;
    if (iov) koffi.free(iov.ptr);
    koffi.free(b.ptr);
  }
}

/** sendmsg(2) of `data` with `fds` attached (SCM_RIGHTS); returns the bytes sent. */
export function sendWithFds(sock: number, data: Uint8Array, fds: readonly number[]): number {
  const buf = raw(Math.max(1, data.length));
  buf.bytes.set(data);
  const space = fds.length > 0 ? CMSG_HEADER + Math.ceil((4 * fds.length) / 8) * 8 : 0;
  const control = raw(Math.max(8, space));
  if (fds.length > 0) {
    const cv = new DataView(control.bytes.buffer);
    cv.setBigUint64(0, BigInt(CMSG_HEADER + 4 * fds.length), true);
    cv.setInt32(8, SOL.SOCKET, true);
    cv.setInt32(12, SCM.RIGHTS, true);
    fds.forEach((fd, i) => cv.setInt32(CMSG_HEADER + 4 * i, fd, true));
  }
  const msg = msghdr(buf, data.length, control, space);
  try {
    for (;;) {
      const n = Number(sendmsg_(sock, msg.ptr, 0));
      if (n >= 0) return n;
      const errno = koffi.errno() as number;
      if (errno !== 4 /* EINTR */ && errno !== 11 /* EAGAIN */) throw new HostCallError('sendmsg', errno);
    }
  } finally {
    free(msg, buf, control);
  }
}

/**
 * recvmsg(2) of up to `max` bytes and any fds attached (received
 * close-on-exec). Returns -errno instead of throwing for EAGAIN.
 */
export function recvWithFds(sock: number, max: number): { data: Uint8Array; fds: number[] } | number {
  const buf = raw(max);
  const controlLen = CMSG_HEADER + MAX_FDS * 4;
  const control = raw(controlLen);
  const msg = msghdr(buf, max, control, controlLen);
  try {
    const n = Number(recvmsg_(sock, msg.ptr, 0x40000000 /* MSG_CMSG_CLOEXEC */));
    if (n < 0) return -(koffi.errno() as number);
    const fds: number[] = [];
    const got = Number(new DataView(msg.bytes.buffer).getBigUint64(40, true));
    const cv = new DataView(control.bytes.buffer);
    for (let off = 0; off + CMSG_HEADER <= got;) {
      const len = Number(cv.getBigUint64(off, true));
      if (len < CMSG_HEADER) break;
      if (cv.getInt32(off + 8, true) === SOL.SOCKET && cv.getInt32(off + 12, true) === SCM.RIGHTS) {
        for (let i = off + CMSG_HEADER; i + 4 <= off + len; i += 4) fds.push(cv.getInt32(i, true));
      }
      off += Math.ceil(len / 8) * 8;
    }
    return { data: buf.bytes.slice(0, n), fds };
  } finally {
    free(msg, buf, control);
  }
}

/** SO_PEERCRED: who is at the other end of a connected unix socket. */
export function peerCredentials(sock: number): { pid: number; uid: number; gid: number } {
  const val = raw(12);
  const len = raw(4);
  new DataView(len.bytes.buffer).setUint32(0, 12, true);
  try {
    if ((getsockopt_(sock, SOL.SOCKET, SO.PEERCRED, val.ptr, len.ptr) as number) < 0) throw new HostCallError('getsockopt', koffi.errno() as number);
    const v = new DataView(val.bytes.buffer);
    return { pid: v.getInt32(0, true), uid: v.getUint32(4, true), gid: v.getUint32(8, true) };
  } finally {
    free(val, len);
  }
}

/** A new host pseudo-terminal: the master fd and the replica's path (posix_openpt, grantpt, unlockpt). */
export function openPty(): { master: number; replicaPath: string } {
  const master = posix_openpt_(O.RDWR | O.NOCTTY | O.CLOEXEC) as number;
  if (master < 0) throw new HostCallError('posix_openpt', koffi.errno() as number);
  if ((grantpt_(master) as number) !== 0) throw new HostCallError('grantpt', koffi.errno() as number);
  if ((unlockpt_(master) as number) !== 0) throw new HostCallError('unlockpt', koffi.errno() as number);
  const name = raw(128);
  try {
    const rc = ptsname_r_(master, name.ptr, 128) as number;
    if (rc !== 0) throw new HostCallError('ptsname_r', rc);
    const end = name.bytes.indexOf(0);
    return { master, replicaPath: Buffer.from(name.bytes.subarray(0, end)).toString() };
  } finally {
    free(name);
  }
}

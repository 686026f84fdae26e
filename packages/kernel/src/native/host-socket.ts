/**
 * The socket calls of -network=host, through koffi: host AF_INET/AF_INET6
 * sockets the sentry owns and the app never sees. Each call returns its
 * result, or -errno on failure.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const socket_ = libc.func('int socket(int domain, int type, int protocol)');
const bind_ = libc.func('int bind(int fd, const uint8_t *addr, unsigned int len)');
const connect_ = libc.func('int connect(int fd, const uint8_t *addr, unsigned int len)');
const listen_ = libc.func('int listen(int fd, int backlog)');
const accept4_ = libc.func('int accept4(int fd, void *addr, void *len, int flags)');
const sendto_ = libc.func('long sendto(int fd, const uint8_t *buf, unsigned long len, int flags, const uint8_t *addr, unsigned int alen)');
const recvfrom_ = libc.func('long recvfrom(int fd, _Out_ uint8_t *buf, unsigned long len, int flags, _Out_ uint8_t *addr, _Inout_ uint8_t *alen)');
const shutdown_ = libc.func('int shutdown(int fd, int how)');
const close_ = libc.func('int close(int fd)');
const getsockname_ = libc.func('int getsockname(int fd, _Out_ uint8_t *addr, _Inout_ uint8_t *alen)');
const getpeername_ = libc.func('int getpeername(int fd, _Out_ uint8_t *addr, _Inout_ uint8_t *alen)');
const setsockopt_ = libc.func('int setsockopt(int fd, int level, int name, const uint8_t *value, unsigned int len)');
const getsockopt_ = libc.func('int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint8_t *len)');
const ioctlInt_ = libc.func('int ioctl(int fd, unsigned long request, _Out_ int *value)');

/** Room for any sockaddr (sizeof(struct sockaddr_storage)). */
const SOCKADDR_STORAGE_BYTES = 128;

const check = (rc: number | bigint): number => {
  const n = Number(rc);
  return n < 0 ? -(koffi.errno() as number) : n;
};

export const hostSocket = (domain: number, type: number, protocol: number): number => check(socket_(domain, type, protocol) as number);
export const hostBind = (fd: number, addr: Uint8Array): number => check(bind_(fd, addr, addr.length) as number);
export const hostConnect = (fd: number, addr: Uint8Array): number => check(connect_(fd, addr, addr.length) as number);
export const hostListen = (fd: number, backlog: number): number => check(listen_(fd, backlog) as number);
export const hostAccept = (fd: number, flags: number): number => check(accept4_(fd, null, null, flags) as number);
export const hostShutdown = (fd: number, how: number): number => check(shutdown_(fd, how) as number);
export const hostCloseSocket = (fd: number): number => check(close_(fd) as number);

/** sendto(2); `addr` null for the connected peer. */
export function hostSendto(fd: number, data: Uint8Array, flags: number, addr: Uint8Array | null): number {
  return check(sendto_(fd, data, data.length, flags, addr, addr ? addr.length : 0) as number);
}

/** recvfrom(2) into `buf`: the count (or -errno) and the sender's sockaddr bytes, if any. */
export function hostRecvfrom(fd: number, buf: Uint8Array, flags: number): { n: number; from: Uint8Array | null } {
  const addr = Buffer.alloc(SOCKADDR_STORAGE_BYTES);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(addr.length);
  const n = check(recvfrom_(fd, buf, buf.length, flags, addr, len) as number);
  const alen = len.readUInt32LE();
  return { n, from: n >= 0 && alen > 0 ? new Uint8Array(addr.subarray(0, Math.min(alen, addr.length))) : null };
}

function nameCall(call: typeof getsockname_, fd: number): Uint8Array | number {
  const addr = Buffer.alloc(SOCKADDR_STORAGE_BYTES);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(addr.length);
  const rc = check(call(fd, addr, len) as number);
  return rc < 0 ? rc : new Uint8Array(addr.subarray(0, Math.min(len.readUInt32LE(), addr.length)));
}

/** getsockname(2): the sockaddr bytes, or -errno. */
export const hostGetsockname = (fd: number): Uint8Array | number => nameCall(getsockname_, fd);
/** getpeername(2): the sockaddr bytes, or -errno. */
export const hostGetpeername = (fd: number): Uint8Array | number => nameCall(getpeername_, fd);

export const hostSetsockopt = (fd: number, level: number, name: number, value: Uint8Array): number =>
  check(setsockopt_(fd, level, name, value, value.length) as number);

/** getsockopt(2) with a `size`-byte buffer: the bytes the host wrote, or -errno. */
export function hostGetsockopt(fd: number, level: number, name: number, size: number): Uint8Array | number {
  const value = Buffer.alloc(size);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(size);
  const rc = check(getsockopt_(fd, level, name, value, len) as number);
  return rc < 0 ? rc : new Uint8Array(value.subarray(0, Math.min(len.readUInt32LE(), size)));
}

/** An ioctl whose argument is an int the host fills in (FIONREAD, SIOCOUTQ): the int, or -errno. */
export function hostIoctlInt(fd: number, request: number): number {
  const out = [0];
  const rc = check(ioctlInt_(fd, request, out) as number);
  return rc < 0 ? rc : out[0];
}

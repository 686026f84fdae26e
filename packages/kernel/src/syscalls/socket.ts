import {
  AF,
  BPF,
  CAP,
  Cmsghdr,
  Errno,
  IPPROTO,
  MSG,
  O,
  POLL,
  SCM,
  SO,
  SOCK,
  SOCK_TYPE_MASK,
  SOL,
  Signal,
  SockFprog,
  SysError,
  Timespec,
  Ucred,
} from '@tvisor/abi';
import { MAX_RW_COUNT } from '@tvisor/mm';
import type { FileDescription } from '@tvisor/vfs';
import { decodeBpfProgram, encodeBpfProgram, validateSocketFilter, type BpfInstruction } from '../bpf.js';
import { hasCapability } from '../credentials.js';
import { vfsCredentials } from '../fs-context.js';
import { createInetSocket, InetSocket, IP_INT_OPTIONS } from '../net/inet/inet-socket.js';
import { checkPingAccess } from '../net/inet/ping-access.js';
import { createNetlinkSocket } from '../net/netlink/netlink-socket.js';
import { registerSocket } from '../net/registry.js';
import { callerCreds, SOCKET_NO_WAIT, SocketImpl, type ControlMessage, type IncomingMessage } from '../net/socket.js';
import { newSocketFile, newSocketInode } from '../net/sockfs.js';
import type { MessageCreds } from '../net/unix/queue.js';
import { UnixSocket, unixNamespace, SCM_MAX_FD } from '../net/unix/unix-socket.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { gatherIovecs, scatterIovecs } from '../user-io.js';

/** sizeof(struct sockaddr_storage): the longest address a caller may pass. */
const SOCKADDR_STORAGE = 128;
/** net.core.optmem_max: the most control data sendmsg accepts. */
const OPTMEM_MAX = 20480;
const CMSG_HDR = Cmsghdr.size;

const align8 = (n: number) => (n + 7) & ~7;

/** An open socket: its description (status flags, readiness) and the socket itself. */
interface SocketRef {
  file: FileDescription;
  sock: SocketImpl;
}

/** The socket behind `fd`: EBADF, or ENOTSOCK for other files. */
function socketOf(t: Task, fd: number): SocketRef {
  const file = t.group.fds.get(fd);
  if (!(file.impl instanceof SocketImpl)) throw new SysError(Errno.ENOTSOCK);
  return { file, sock: file.impl };
}

function readSockaddr(t: Task, addr: number, len: number): Uint8Array {
  if (len < 0 || len > SOCKADDR_STORAGE) throw new SysError(Errno.EINVAL);
  if (len === 0) return new Uint8Array(0);
  return t.mm.copyIn(addr, len);
}

function readInt(t: Task, addr: number): number {
  const b = t.mm.copyIn(addr, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
}

function writeInt(t: Task, addr: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  t.mm.copyOut(addr, b);
}

/**
 * Stores an address for getsockname/accept/recvfrom: as many bytes as the
 * caller's *addrlen allows, and the real length back into *addrlen.
 */
function writeSockaddr(t: Task, addr: number, lenAddr: number, value: Uint8Array): void {
  if (addr === 0 || lenAddr === 0) return;
  const room = readInt(t, lenAddr);
  if (room < 0) throw new SysError(Errno.EINVAL);
  if (room > 0 && value.length > 0) t.mm.copyOut(addr, value.subarray(0, Math.min(room, value.length)));
  writeInt(t, lenAddr, value.length);
}

/**
 * Runs a non-blocking socket operation the way a blocking call behaves:
 * on EAGAIN, unless `nonblock`, the task parks until the socket reports
 * `events` (or a hangup/error) and `op` is retried; SO_RCVTIMEO/SO_SNDTIMEO
 * (`timeoutMs` > 0; SOCKET_NO_WAIT, a negative one, never waits) end the
 * wait with what `progress()` reports (the bytes
 * moved so far, after finishing the call's outputs) or EAGAIN if nothing
 * moved. A signal ends it the same way when something moved, else with
 * ERESTARTSYS, or EINTR when a timeout was set, as sock_intr_errno says.
 */
function socketWait(
  t: Task,
  file: FileDescription,
  events: number,
  nonblock: boolean,
  timeoutMs: number,
  op: () => number,
  progress: () => number | undefined = () => undefined,
): number {
  if (timeoutMs === SOCKET_NO_WAIT) nonblock = true;
  // A protocol may finish work after the operation failed (netstack drains
  // its loopback queue at the end of each call), so readiness can already
  // have changed when the call comes back with EAGAIN: try again while the
  // socket says it is ready, a few times, before parking.
  for (let attempt = 0; ; attempt++) {
    try {
      return op();
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN || nonblock) throw e;
    }
    if (attempt >= 2 || (file.readiness(events | POLL.HUP | POLL.ERR) & (events | POLL.HUP | POLL.ERR)) === 0) break;
  }
  return t.kernel.block(
    t,
    (complete) => {
      let unsubscribe: (() => void) | undefined;
      let cancelTimer: (() => void) | undefined;
      const finish = (r: number) => {
        unsubscribe?.();
        cancelTimer?.();
        unsubscribe = cancelTimer = undefined;
        complete(r);
      };
      // One attempt at a time: an attempt can wake the peer, whose own
      // attempt can make this socket ready again from inside ours (a reader
      // that frees room lets the writer queue more); that readiness is not
      // lost but retried once the running attempt has failed.
      let running = false;
      let again = false;
      const attempt = () => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            let r: number;
            try {
              r = op();
            } catch (e) {
              if (e instanceof SysError && e.errno === Errno.EAGAIN) continue;
              r = e instanceof SysError ? -e.errno : -Errno.EIO;
            }
            finish(r);
            return;
          } while (again);
        } finally {
          running = false;
        }
      };
      unsubscribe = file.subscribe(events | POLL.HUP | POLL.ERR, attempt);
      // Readiness that arrived between the last attempt and the subscription
      // (the peer ran inside that attempt) has no event left to come.
      if (file.readiness(events | POLL.HUP | POLL.ERR) & (events | POLL.HUP | POLL.ERR)) attempt();
      if (unsubscribe === undefined) return () => {};
      if (timeoutMs > 0) {
        cancelTimer = t.kernel.setTimer(timeoutMs, () => {
          let r: number;
          try {
            r = progress() ?? -Errno.EAGAIN;
          } catch (e) {
            r = e instanceof SysError ? -e.errno : -Errno.EIO;
          }
          finish(r);
        });
      }
      return () => {
        unsubscribe?.();
        cancelTimer?.();
        unsubscribe = cancelTimer = undefined;
        // Interrupted by a signal (not by the process exiting) after part of
        // the transfer: the call reports that part, as Linux does. Completing
        // first makes the kernel's own -ERESTARTSYS completion a no-op.
        if (t.group.exitStatus === undefined) {
          let moved: number | undefined;
          try {
            moved = progress();
          } catch (e) {
            // Finishing the outputs faulted: the call fails with that error.
            moved = e instanceof SysError ? -e.errno : -Errno.EIO;
          }
          if (moved !== undefined) complete(moved);
        }
      };
    },
    timeoutMs > 0 ? -Errno.EINTR : -Errno.ERESTARTSYS,
  );
}

/** Wraps a socket in a new description and installs it. */
function installSocket(t: Task, sock: SocketImpl, flags: number): number {
  sock.ownerCreds = callerCreds(t);
  const file = newSocketFile(sock.sockInode, sock, (flags & SOCK.NONBLOCK) !== 0, vfsCredentials(t.creds));
  registerSocket(t.kernel, file);
  return t.group.fds.add(file, (flags & SOCK.CLOEXEC) !== 0);
}

function createSocket(t: Task, domain: number, type: number, protocol: number): SocketImpl {
  const base = type & SOCK_TYPE_MASK;
  switch (domain) {
    case AF.UNIX: {
      if (protocol !== 0 && protocol !== AF.UNIX) throw new SysError(Errno.EPROTONOSUPPORT);
      // unix(7): SOCK_RAW is taken as SOCK_DGRAM.
      const kind = base === SOCK.RAW ? SOCK.DGRAM : base;
      if (kind !== SOCK.STREAM && kind !== SOCK.DGRAM && kind !== SOCK.SEQPACKET) throw new SysError(Errno.ESOCKTNOSUPPORT);
      return new UnixSocket(newSocketInode(vfsCredentials(t.creds)), unixNamespace(t.kernel), kind);
    }
    case AF.INET:
    case AF.INET6:
      if (base === SOCK.DGRAM && ((domain === AF.INET && protocol === IPPROTO.ICMP) || (domain === AF.INET6 && protocol === IPPROTO.ICMPV6))) {
        checkPingAccess(t.kernel, t.creds);
      }
      // raw(7): only a process with CAP_NET_RAW may open a raw socket.
      if (base === SOCK.RAW && !hasCapability(t.creds, CAP.NET_RAW)) throw new SysError(Errno.EPERM);
      return createInetSocket(t.kernel, newSocketInode(vfsCredentials(t.creds)), domain, base, protocol);
    case AF.NETLINK:
      return createNetlinkSocket(t.kernel, newSocketInode(vfsCredentials(t.creds)), base, protocol);
    default:
      throw new SysError(Errno.EAFNOSUPPORT);
  }
}

function checkTypeFlags(type: number): void {
  if (type & ~(SOCK_TYPE_MASK | SOCK.NONBLOCK | SOCK.CLOEXEC)) throw new SysError(Errno.EINVAL);
}

function socketpair(t: Task, domain: number, type: number, protocol: number, sv: number): number {
  checkTypeFlags(type);
  if (domain === AF.INET || domain === AF.INET6) {
    // Linux makes the socket first (socket(2)'s ESOCKTNOSUPPORT, EPROTONOSUPPORT), then inet has no socketpair.
    const probe = createSocket(t, domain, type, protocol);
    if (probe instanceof InetSocket) probe.inner.close();
    throw new SysError(Errno.EOPNOTSUPP);
  }
  if (domain !== AF.UNIX) throw new SysError(Errno.EAFNOSUPPORT);
  const a = createSocket(t, domain, type, protocol) as UnixSocket;
  const b = createSocket(t, domain, type, protocol) as UnixSocket;
  UnixSocket.pair(a, b, callerCreds(t));
  const fds = t.group.fds;
  const fa = installSocket(t, a, type);
  let fb: number;
  try {
    fb = installSocket(t, b, type);
  } catch (e) {
    fds.close(fa);
    throw e;
  }
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setInt32(0, fa, true);
  v.setInt32(4, fb, true);
  try {
    t.mm.copyOut(sv, out);
  } catch (e) {
    fds.close(fa);
    fds.close(fb);
    throw e;
  }
  return 0;
}

function accept(t: Task, fd: number, addr: number, lenAddr: number, flags: number): number {
  if (flags & ~(SOCK.NONBLOCK | SOCK.CLOEXEC)) throw new SysError(Errno.EINVAL);
  const { file, sock } = socketOf(t, fd);
  return socketWait(t, file, POLL.IN, (file.statusFlags & O.NONBLOCK) !== 0, sock.recvTimeoutMs, () => {
    const conn = sock.accept(t);
    const newFd = installSocket(t, conn, flags);
    try {
      writeSockaddr(t, addr, lenAddr, conn.peername(true));
    } catch (e) {
      // Linux keeps the connection but fails the call; the fd goes away.
      t.group.fds.close(newFd);
      throw e;
    }
    return newFd;
  });
}

// ---- data transfer ----------------------------------------------------------

/** One iovec of the caller's buffer. */
export interface Iov {
  base: number;
  len: number;
}

function iovTotal(iovs: Iov[]): number {
  let total = 0;
  for (const v of iovs) total += v.len;
  if (total > MAX_RW_COUNT) throw new SysError(Errno.EINVAL);
  return total;
}

interface Control {
  rights: FileDescription[] | null;
  creds: MessageCreds | null;
  /** Control messages of protocol levels (SOL_IP, SOL_IPV6...), for the socket to apply. */
  protocol?: ControlMessage[];
}

/** The "no id" value of a uid_t or gid_t ((uid_t)-1), which no credential can name. */
const INVALID_ID = 0xffffffff;

/**
 * Whether the sender may claim SCM_CREDENTIALS `c` (unix(7); Linux's
 * scm_check_creds, then __scm_send's pid lookup): EINVAL for an id that
 * cannot exist; EPERM for another process's pid without CAP_SYS_ADMIN, or
 * ids not among its own real, effective or saved ones without
 * CAP_SETUID/CAP_SETGID; ESRCH for a pid that names no process.
 */
function checkClaimedCreds(t: Task, c: { pid: number; uid: number; gid: number }): void {
  const me = t.creds;
  if (c.uid >>> 0 === INVALID_ID || c.gid >>> 0 === INVALID_ID) throw new SysError(Errno.EINVAL);
  const pidOk = c.pid === t.group.pid || hasCapability(me, CAP.SYS_ADMIN);
  const uidOk = c.uid === me.uid || c.uid === me.euid || c.uid === me.suid || hasCapability(me, CAP.SETUID);
  const gidOk = c.gid === me.gid || c.gid === me.egid || c.gid === me.sgid || hasCapability(me, CAP.SETGID);
  if (!pidOk || !uidOk || !gidOk) throw new SysError(Errno.EPERM);
  if (c.pid !== t.group.pid && !pidExists(t, c.pid)) throw new SysError(Errno.ESRCH);
}

/** Whether `pid` names a thread, a process (zombies included) or a process group or session (find_get_pid). */
function pidExists(t: Task, pid: number): boolean {
  if (pid <= 0) return false;
  if (t.kernel.tasks.has(pid)) return true;
  for (const task of t.kernel.tasks.values()) {
    const g = task.group;
    if (g.pgid === pid || g.sid === pid) return true;
    for (const child of g.children) if (child.pid === pid) return true;
  }
  return false;
}

/** Parses sendmsg's control messages (SCM_RIGHTS takes a reference to each file). */
function parseControl(t: Task, addr: number, len: number): Control {
  const control: Control = { rights: null, creds: null };
  if (len === 0 || addr === 0) return control;
  if (len > OPTMEM_MAX) throw new SysError(Errno.ENOBUFS);
  const buf = t.mm.copyIn(addr, len);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  try {
    for (let at = 0; at + CMSG_HDR <= len;) {
      const h = Cmsghdr.decode(view, at);
      if (h.cmsg_len < CMSG_HDR || at + h.cmsg_len > len) throw new SysError(Errno.EINVAL);
      const data = buf.subarray(at + CMSG_HDR, at + h.cmsg_len);
      if (h.cmsg_level === SOL.SOCKET) {
        if (h.cmsg_type === SCM.RIGHTS) {
          const count = Math.floor(data.length / 4);
          // No descriptors is no SCM_RIGHTS at all (scm_fp_copy): the message stays one a stream may coalesce.
          if (count === 0) {
            at += align8(h.cmsg_len);
            continue;
          }
          const rights = (control.rights ??= []);
          if (rights.length + count > SCM_MAX_FD) throw new SysError(Errno.EINVAL);
          for (let i = 0; i < count; i++) {
            const file = t.group.fds.get(view.getInt32(at + CMSG_HDR + i * 4, true));
            file.incRef();
            rights.push(file);
          }
        } else if (h.cmsg_type === SCM.CREDENTIALS) {
          if (data.length !== Ucred.size) throw new SysError(Errno.EINVAL);
          const c = Ucred.decode(view, at + CMSG_HDR);
          checkClaimedCreds(t, c);
          control.creds = { pid: c.pid, uid: c.uid, gid: c.gid };
        } else {
          throw new SysError(Errno.EINVAL);
        }
      } else {
        (control.protocol ??= []).push({ level: h.cmsg_level, type: h.cmsg_type, data: data.slice() });
      }
      at += align8(h.cmsg_len);
    }
  } catch (e) {
    for (const f of control.rights ?? []) f.decRef();
    throw e;
  }
  return control;
}

/**
 * Sends one message: gathers the data, then hands it to the socket. A
 * blocking stream send goes on until every byte is taken (as Linux does);
 * EPIPE raises SIGPIPE unless MSG_NOSIGNAL.
 */
function sendOne(t: Task, { file, sock }: SocketRef, iovs: Iov[], to: Uint8Array | null, control: Control, flags: number, forceNonblock = false): number {
  let data: Uint8Array;
  try {
    const limit = sock.maxMessageSize;
    if (limit !== undefined && iovTotal(iovs) > limit) throw new SysError(Errno.EMSGSIZE);
    data = gatherIovecs(t, iovs, iovTotal(iovs));
  } catch (e) {
    for (const f of control.rights ?? []) f.decRef();
    throw e;
  }
  const nonblock = forceNonblock || (file.statusFlags & O.NONBLOCK) !== 0 || (flags & MSG.DONTWAIT) !== 0;
  const stream = sock.type === SOCK.STREAM;
  const sender = callerCreds(t);
  let rights = control.rights;
  let sent = 0;
  const release = () => {
    for (const f of rights ?? []) f.decRef();
    rights = null;
  };
  const op = (): number => {
    let n: number;
    try {
      n = sock.send({ data: data.subarray(sent), to, rights, creds: control.creds, flags, protocolControl: control.protocol }, sender, t);
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.EAGAIN && !(sent > 0 && nonblock)) throw e;
      if (sent > 0) return sent;
      release();
      // Only stream sockets raise SIGPIPE (unix_stream_sendmsg, tcp_sendmsg); seqpacket's EPIPE comes without it.
      if (e instanceof SysError && e.errno === Errno.EPIPE && !(flags & MSG.NOSIGNAL) && sock.type === SOCK.STREAM) {
        t.kernel.raiseSignal(t, Signal.SIGPIPE);
      }
      throw e;
    }
    // The socket took the message, and with it the references in `rights`.
    if (n > 0 || !stream) rights = null;
    sent += n;
    if (stream && sent < data.length && !nonblock) throw new SysError(Errno.EAGAIN);
    release();
    return sent;
  };
  return socketWait(t, file, POLL.OUT, nonblock, sock.sendTimeoutMs, op, () => {
    // The wait ended early: the descriptors no socket took go back.
    release();
    return sent > 0 ? sent : undefined;
  });
}

/** Where recvmsg puts what it received besides the data. */
interface RecvOutputs {
  nameAddr: number;
  /** Address of the socklen_t (recvfrom) or of msg_namelen (recvmsg, written as u32); 0 for none. */
  nameLenAddr: number;
  /** recvmsg: the msghdr to update (msg_namelen, msg_controllen, msg_flags). */
  msghdr?: { addr: number; control: number; controllen: number };
}

/** Encodes the control messages of a received message, installing passed descriptors. */
function encodeControl(t: Task, msg: IncomingMessage, userRoom: number, cloexec: boolean): { bytes: Uint8Array; truncated: boolean } {
  // The most ever written is credentials plus SCM_MAX_FD descriptors: a
  // larger msg_controllen changes nothing, so it need not be allocated.
  const room = Math.min(Math.max(0, userRoom), 4096);
  const out = new Uint8Array(room);
  const view = new DataView(out.buffer);
  let used = 0;
  let truncated = false;
  const put = (type: number, data: Uint8Array, level: number = SOL.SOCKET) => {
    const left = room - used;
    if (left < CMSG_HDR) {
      truncated = true;
      return;
    }
    let len = CMSG_HDR + data.length;
    if (left < len) {
      truncated = true;
      len = left;
    }
    Cmsghdr.encode(view, used, { cmsg_len: len, cmsg_level: level, cmsg_type: type });
    out.set(data.subarray(0, len - CMSG_HDR), used + CMSG_HDR);
    used += Math.min(align8(len), left);
  };
  if (msg.creds) {
    const c = new Uint8Array(Ucred.size);
    Ucred.encode(new DataView(c.buffer), 0, msg.creds);
    put(SCM.CREDENTIALS, c);
  }
  if (msg.rights) {
    const files = msg.rights;
    const fit = Math.max(0, Math.floor((room - used - CMSG_HDR) / 4));
    const fds: number[] = [];
    let i = 0;
    try {
      for (; i < files.length && i < fit; i++) fds.push(t.group.fds.add(files[i], cloexec));
    } catch {
      // EMFILE: add() dropped that reference; the rest are released below.
      i++;
    }
    for (let j = i; j < files.length; j++) files[j].decRef();
    if (fds.length < files.length) truncated = true;
    if (fds.length > 0) {
      const data = new Uint8Array(fds.length * 4);
      const dv = new DataView(data.buffer);
      fds.forEach((f, k) => dv.setInt32(k * 4, f, true));
      put(SCM.RIGHTS, data);
    }
  }
  for (const c of msg.control ?? []) put(c.type, c.data, c.level);
  return { bytes: out.subarray(0, used), truncated };
}

/**
 * Receives one message into `iovs`. MSG_WAITALL on a stream goes on until
 * the buffer is full (or EOF, an error, a signal). Returns the byte count
 * (the full datagram length with MSG_TRUNC), having written the sender's
 * address and the control messages.
 */
function recvOne(t: Task, { file, sock }: SocketRef, iovs: Iov[], flags: number, outs: RecvOutputs, forceNonblock = false): number {
  const total = iovTotal(iovs);
  const nonblock = forceNonblock || (file.statusFlags & O.NONBLOCK) !== 0 || (flags & MSG.DONTWAIT) !== 0;
  // An inet socket's error queue (IP_RECVERR) never blocks; nothing is ever queued on it here.
  if (flags & MSG.ERRQUEUE && (sock.family === AF.INET || sock.family === AF.INET6)) throw new SysError(Errno.EAGAIN);
  const waitAll = (flags & MSG.WAITALL) !== 0 && (flags & MSG.PEEK) === 0 && sock.type === SOCK.STREAM;
  // MSG_TRUNC on a TCP socket consumes (or peeks) the bytes without copying them (tcp_recvmsg).
  const discard = (flags & MSG.TRUNC) !== 0 && sock.type === SOCK.STREAM && (sock.family === AF.INET || sock.family === AF.INET6);
  // MSG_DONTWAIT tells the protocol the call will not wait (a shut-down UDP socket then says EAGAIN, not EOF).
  const recvFlags = (flags & ~(MSG.WAITALL | MSG.DONTWAIT | MSG.CMSG_CLOEXEC)) | (nonblock ? MSG.DONTWAIT : 0);
  let got = 0;
  let first: IncomingMessage | undefined;
  const deliver = (): number => {
    const msg = first!;
    // Linux starts msg_flags from the call's MSG_CMSG_CLOEXEC.
    let msgFlags = msg.flags | (flags & MSG.CMSG_CLOEXEC);
    if (outs.nameAddr !== 0 && outs.nameLenAddr !== 0) {
      if (outs.msghdr) {
        const from = msg.from ?? new Uint8Array(0);
        const room = t.mm.copyIn(outs.nameLenAddr, 4);
        const cap = new DataView(room.buffer, room.byteOffset, 4).getUint32(0, true);
        if (from.length > 0 && cap > 0) t.mm.copyOut(outs.nameAddr, from.subarray(0, Math.min(cap, from.length)));
        writeInt(t, outs.nameLenAddr, from.length);
      } else {
        writeSockaddr(t, outs.nameAddr, outs.nameLenAddr, msg.from ?? new Uint8Array(0));
      }
    }
    if (outs.msghdr) {
      const h = outs.msghdr;
      const room = h.control === 0 ? 0 : h.controllen;
      const { bytes, truncated } = encodeControl(t, msg, room, (flags & MSG.CMSG_CLOEXEC) !== 0);
      if (bytes.length > 0) t.mm.copyOut(h.control, bytes);
      if (truncated) msgFlags |= MSG.CTRUNC;
      const lenBytes = new Uint8Array(8);
      new DataView(lenBytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
      t.mm.copyOut(h.addr + 40, lenBytes);
      writeInt(t, h.addr + 48, msgFlags);
    } else {
      for (const f of msg.rights ?? []) f.decRef();
    }
    if (sock.type !== SOCK.STREAM && flags & MSG.TRUNC) return msg.length;
    return got;
  };
  const op = (): number => {
    let msg: IncomingMessage;
    try {
      msg = sock.recv(total - got, recvFlags);
    } catch (e) {
      if (got > 0 && !(e instanceof SysError && e.errno === Errno.EAGAIN && !nonblock)) return deliver();
      throw e;
    }
    if (!first) first = msg;
    else {
      if (msg.rights) first.rights = [...(first.rights ?? []), ...msg.rights];
      // Protocol control messages describe the state after the last read (TCP_CM_INQ).
      if (msg.control) first.control = msg.control;
    }
    if (!discard) scatterIovecs(t, iovs, got, msg.data);
    got += msg.data.length;
    if (waitAll && got < total && msg.data.length > 0 && !msg.rights) {
      // A call that will not wait takes whatever else is queued now and returns it (tcp_recvmsg with no timeout left).
      if (nonblock) return op();
      throw new SysError(Errno.EAGAIN);
    }
    return deliver();
  };
  return socketWait(t, file, POLL.IN, nonblock, sock.recvTimeoutMs, op, () => (got > 0 ? deliver() : undefined));
}

/**
 * read(2), readv(2), write(2) and writev(2) on a socket: recvmsg/sendmsg
 * without flags, so SO_RCVTIMEO/SO_SNDTIMEO, signals, datagram boundaries
 * and zero-length datagrams behave as they do there. A read of zero bytes
 * returns 0 at once (Linux's sock_read_iter). Undefined for other files.
 */
export function socketReadWrite(t: Task, file: FileDescription, iovs: Iov[], write: boolean): number | undefined {
  if (!(file.impl instanceof SocketImpl)) return undefined;
  const ref = { file, sock: file.impl };
  if (write) return sendOne(t, ref, iovs, null, { rights: null, creds: null }, 0);
  if (iovTotal(iovs) === 0) return 0;
  return recvOne(t, ref, iovs, 0, { nameAddr: 0, nameLenAddr: 0 });
}

interface ParsedMsghdr {
  name: number;
  namelen: number;
  iovs: Iov[];
  control: number;
  controllen: number;
}

function readMsghdr(t: Task, addr: number): ParsedMsghdr {
  const raw = t.mm.copyIn(addr, 56);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const v = {
    name: Number(view.getBigUint64(0, true)),
    namelen: view.getUint32(8, true),
    iov: Number(view.getBigUint64(16, true)),
    iovlen: Number(view.getBigUint64(24, true)),
    control: Number(view.getBigUint64(32, true)),
    controllen: Number(view.getBigUint64(40, true)),
  };
  if (v.controllen > 0x7fffffff) throw new SysError(Errno.ENOBUFS);
  return { name: v.name, namelen: v.namelen, iovs: t.mm.readIovecs(v.iov, v.iovlen), control: v.control, controllen: v.controllen };
}

function sendmsg(t: Task, fd: number, msgAddr: number, flags: number, forceNonblock = false): number {
  const h = readMsghdr(t, msgAddr);
  const ref = socketOf(t, fd);
  const to = h.name !== 0 && h.namelen > 0 ? readSockaddr(t, h.name, h.namelen) : null;
  const control = parseControl(t, h.control, h.controllen);
  return sendOne(t, ref, h.iovs, to, control, flags, forceNonblock);
}

function recvmsg(t: Task, fd: number, msgAddr: number, flags: number, forceNonblock = false): number {
  const h = readMsghdr(t, msgAddr);
  return recvOne(
    t,
    socketOf(t, fd),
    h.iovs,
    flags,
    { nameAddr: h.name, nameLenAddr: msgAddr + 8, msghdr: { addr: msgAddr, control: h.control, controllen: h.controllen } },
    forceNonblock,
  );
}

/**
 * recvmmsg(2)'s timeout in milliseconds (undefined for none): EINVAL for a
 * negative time or nanoseconds out of range, as Linux checks them.
 */
function readBatchTimeout(t: Task, addr: number): number | undefined {
  if (addr === 0) return undefined;
  const raw = t.mm.copyIn(addr, Timespec.size);
  const ts = Timespec.decode(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0);
  const sec = Number(ts.tv_sec);
  const nsec = Number(ts.tv_nsec);
  if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000) throw new SysError(Errno.EINVAL);
  return sec * 1000 + Math.ceil(nsec / 1_000_000);
}

/**
 * sendmmsg(2)/recvmmsg(2): as many messages as go without waiting; if not
 * even the first does (and the call may block), wait for the socket and try
 * again. Each message's msg_len is filled in; an error after the first
 * message ends the batch and the count so far is returned. recvmmsg's
 * `timeoutAddr` bounds the wait for the first message (a zero timeout does
 * not wait), on top of SO_RCVTIMEO.
 */
function batch(t: Task, fd: number, vec: number, vlen: number, flags: number, send: boolean, timeoutAddr = 0): number {
  const { file, sock } = socketOf(t, fd);
  const callTimeout = readBatchTimeout(t, timeoutAddr);
  let timeoutMs = send ? sock.sendTimeoutMs : sock.recvTimeoutMs;
  if (callTimeout === 0) timeoutMs = SOCKET_NO_WAIT;
  else if (callTimeout !== undefined && timeoutMs !== SOCKET_NO_WAIT) timeoutMs = timeoutMs > 0 ? Math.min(timeoutMs, callTimeout) : callTimeout;
  const count = Math.min(vlen >>> 0, 1024);
  const nonblock = (file.statusFlags & O.NONBLOCK) !== 0 || (flags & MSG.DONTWAIT) !== 0;
  const op = (): number => {
    let done = 0;
    for (; done < count; done++) {
      const at = vec + done * 64;
      let n: number;
      try {
        n = send ? sendmsg(t, fd, at, flags, true) : recvmsg(t, fd, at, flags, true);
      } catch (e) {
        if (done > 0) break;
        throw e;
      }
      writeInt(t, at + 56, n);
    }
    return done;
  };
  return socketWait(t, file, send ? POLL.OUT : POLL.IN, nonblock || count === 0, timeoutMs, op);
}

function getsockopt(t: Task, fd: number, level: number, name: number, optval: number, optlenAddr: number): number {
  const { sock } = socketOf(t, fd);
  const len = readInt(t, optlenAddr);
  if (len < 0) throw new SysError(Errno.EINVAL);
  if (level === SOL.SOCKET && name === SO.ATTACH_FILTER) return getFilter(t, sock, optval, len, optlenAddr);
  let value = sock.getOption(level, name);
  // An integer IP option read into less than an int comes back as one byte when it fits (do_ip_getsockopt).
  if (level === SOL.IP && len > 0 && len < 4 && value.length === 4 && (sock.family === AF.INET || sock.family === AF.INET6) && IP_INT_OPTIONS.has(name)) {
    const v = new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
    if (v >= 0 && v <= 255) value = Uint8Array.of(v);
  }
  const n = Math.min(len, value.length);
  if (n > 0) t.mm.copyOut(optval, value.subarray(0, n));
  writeInt(t, optlenAddr, n);
  return 0;
}

function setsockopt(t: Task, fd: number, level: number, name: number, optval: number, optlen: number): number {
  const { sock } = socketOf(t, fd);
  if (optlen < 0) throw new SysError(Errno.EINVAL);
  const value = optlen > 0 ? t.mm.copyIn(optval, Math.min(optlen, 4096)) : new Uint8Array(0);
  // Going past net.core.[rw]mem_max needs CAP_NET_ADMIN over the network namespace (the sandbox's own, owned by its
  // initial user namespace): a new user namespace's full set does not grant it.
  if (level === SOL.SOCKET && (name === SO.RCVBUFFORCE || name === SO.SNDBUFFORCE) && !hasCapability(t.creds, CAP.NET_ADMIN)) throw new SysError(Errno.EPERM);
  if (level === SOL.SOCKET && name === SO.ATTACH_FILTER) {
    sock.attachFilter(readSocketFilter(t, sock, value));
    return 0;
  }
  sock.setOption(level, name, value);
  return 0;
}

/**
 * SO_ATTACH_FILTER's struct sock_fprog and the program it points at, checked
 * in Linux's order: exactly a sock_fprog (EINVAL), a locked filter (EPERM),
 * 1..BPF_MAXINSNS instructions at a non-null address (EINVAL), readable
 * (EFAULT), a valid classic program (EINVAL).
 */
function readSocketFilter(t: Task, sock: SocketImpl, value: Uint8Array): BpfInstruction[] {
  if (value.length !== SockFprog.size) throw new SysError(Errno.EINVAL);
  if (sock.filterIsLocked) throw new SysError(Errno.EPERM);
  const fprog = SockFprog.decode(new DataView(value.buffer, value.byteOffset, value.byteLength), 0);
  if (fprog.filter === 0 || fprog.len === 0 || fprog.len > BPF.MAXINSNS) throw new SysError(Errno.EINVAL);
  const program = decodeBpfProgram(t.mm.copyIn(fprog.filter, fprog.len * 8));
  validateSocketFilter(program);
  return program;
}

/**
 * getsockopt(SO_GET_FILTER): optlen counts instructions, not bytes. No
 * filter reads as 0; optlen 0 asks for the count; a shorter optlen than the
 * program is EINVAL; otherwise the instructions are copied and optlen says how many.
 */
function getFilter(t: Task, sock: SocketImpl, optval: number, len: number, optlenAddr: number): number {
  const program = sock.receiveFilterProgram;
  const count = program?.length ?? 0;
  if (program && len !== 0) {
    if (len < count) throw new SysError(Errno.EINVAL);
    t.mm.copyOut(optval, encodeBpfProgram(program));
  }
  writeInt(t, optlenAddr, count);
  return 0;
}

/** The socket syscall family: AF_UNIX and AF_NETLINK sockets in the sentry, AF_INET/AF_INET6 over @tvisor/netstack's loopback. */
export function registerSocketSyscalls(table: SyscallTable): void {
  const unixAndInet = 'AF_UNIX (stream, datagram, seqpacket) and AF_INET/AF_INET6 TCP and UDP on the sandbox loopback (127.0.0.1/8, ::1)';
  table.register({
    socket: {
      args: ['int', 'hex', 'int'],
      support: 'partial',
      note: `${unixAndInet}; AF_NETLINK NETLINK_ROUTE (link/address/route/neighbour dumps and changes on the sandbox stack, no multicast events) and NETLINK_KOBJECT_UEVENT (no events); other families EAFNOSUPPORT (no packet or raw sockets)`,
      handler: (t, a) => {
        const type = a.argInt(1);
        checkTypeFlags(type);
        return installSocket(t, createSocket(t, a.argInt(0), type, a.argInt(2)), type);
      },
    },
    socketpair: {
      args: ['int', 'hex', 'int', 'ptr'],
      handler: (t, a) => socketpair(t, a.argInt(0), a.argInt(1), a.argInt(2), a.arg(3)),
    },
    bind: {
      args: ['fd', 'ptr', 'int'],
      handler: (t, a) => {
        socketOf(t, a.argInt(0)).sock.bind(t, readSockaddr(t, a.arg(1), a.argInt(2)));
        return 0;
      },
    },
    listen: {
      args: ['fd', 'int'],
      handler: (t, a) => {
        socketOf(t, a.argInt(0)).sock.listen(t, a.argInt(1));
        return 0;
      },
    },
    accept: { args: ['fd', 'ptr', 'ptr'], handler: (t, a) => accept(t, a.argInt(0), a.arg(1), a.arg(2), 0) },
    accept4: { args: ['fd', 'ptr', 'ptr', 'hex'], handler: (t, a) => accept(t, a.argInt(0), a.arg(1), a.arg(2), a.argInt(3)) },
    connect: {
      args: ['fd', 'ptr', 'int'],
      support: 'partial',
      note: 'a blocking AF_UNIX connect waiting on a full backlog ignores SO_SNDTIMEO',
      handler: (t, a) => {
        const { file, sock } = socketOf(t, a.argInt(0));
        return sock.connect(t, readSockaddr(t, a.arg(1), a.argInt(2)), (file.statusFlags & O.NONBLOCK) !== 0);
      },
    },
    getsockname: {
      args: ['fd', 'ptr', 'ptr'],
      handler: (t, a) => {
        writeSockaddr(t, a.arg(1), a.arg(2), socketOf(t, a.argInt(0)).sock.sockname());
        return 0;
      },
    },
    getpeername: {
      args: ['fd', 'ptr', 'ptr'],
      handler: (t, a) => {
        writeSockaddr(t, a.arg(1), a.arg(2), socketOf(t, a.argInt(0)).sock.peername());
        return 0;
      },
    },
    sendto: {
      args: ['fd', 'buf:2', 'uint', 'hex', 'ptr', 'int'],
      support: 'partial',
      note: 'MSG_OOB is EOPNOTSUPP on AF_UNIX',
      handler: (t, a) => {
        const ref = socketOf(t, a.argInt(0));
        const to = a.arg(4) !== 0 ? readSockaddr(t, a.arg(4), a.argInt(5)) : null;
        return sendOne(t, ref, [{ base: a.arg(1), len: Math.min(a.arg(2), MAX_RW_COUNT) }], to, { rights: null, creds: null }, a.argInt(3));
      },
    },
    recvfrom: {
      args: ['fd', 'ptr', 'uint', 'hex', 'ptr', 'ptr'],
      support: 'partial',
      note: 'MSG_OOB and MSG_ERRQUEUE unsupported',
      handler: (t, a) =>
        recvOne(t, socketOf(t, a.argInt(0)), [{ base: a.arg(1), len: Math.min(a.arg(2), MAX_RW_COUNT) }], a.argInt(3), {
          nameAddr: a.arg(4),
          nameLenAddr: a.arg(5),
        }),
    },
    sendmsg: {
      args: ['fd', 'ptr', 'hex'],
      support: 'partial',
      note: 'SCM_RIGHTS and SCM_CREDENTIALS on AF_UNIX; IP-level control messages are ignored',
      handler: (t, a) => sendmsg(t, a.argInt(0), a.arg(1), a.argInt(2)),
    },
    recvmsg: {
      args: ['fd', 'ptr', 'hex'],
      support: 'partial',
      note: 'SCM_RIGHTS and SCM_CREDENTIALS (SO_PASSCRED) on AF_UNIX; no IP_PKTINFO/timestamps; MSG_OOB and MSG_ERRQUEUE unsupported',
      handler: (t, a) => recvmsg(t, a.argInt(0), a.arg(1), a.argInt(2)),
    },
    sendmmsg: {
      args: ['fd', 'ptr', 'uint', 'hex'],
      support: 'partial',
      note: 'waits only until the first message can be sent, then sends what goes without waiting',
      handler: (t, a) => batch(t, a.argInt(0), a.arg(1), a.argUint(2), a.argInt(3), true),
    },
    recvmmsg: {
      args: ['fd', 'ptr', 'uint', 'hex', 'ptr'],
      support: 'partial',
      note: 'waits only for the first message (as with MSG_WAITFORONE) even without the flag; the timeout bounds that wait and is not written back',
      handler: (t, a) => batch(t, a.argInt(0), a.arg(1), a.argUint(2), a.argInt(3), false, a.arg(4)),
    },
    shutdown: {
      args: ['fd', 'int'],
      handler: (t, a) => {
        socketOf(t, a.argInt(0)).sock.shutdown(a.argInt(1));
        return 0;
      },
    },
    getsockopt: {
      args: ['fd', 'int', 'int', 'ptr', 'ptr'],
      support: 'partial',
      note: 'SOL_SOCKET options, SO_PEERCRED/SO_PASSCRED on AF_UNIX, TCP/IP options netstack implements; ENOPROTOOPT otherwise',
      handler: (t, a) => getsockopt(t, a.argInt(0), a.argInt(1), a.argInt(2), a.arg(3), a.arg(4)),
    },
    setsockopt: {
      args: ['fd', 'int', 'int', 'ptr', 'int'],
      support: 'partial',
      note: 'SOL_SOCKET options (SO_RCVTIMEO/SO_SNDTIMEO honoured by the sentry), SO_PASSCRED, TCP/IP options netstack implements; ENOPROTOOPT otherwise',
      handler: (t, a) => setsockopt(t, a.argInt(0), a.argInt(1), a.argInt(2), a.arg(3), a.argInt(4)),
    },
  });
}

import { AF, Errno, FIO, Linger, O, SO, SOL, SysError, TIOC } from '@tvisor/abi';
import { FileImplBase, WaiterQueue, type FileDescription, type ReadinessCallback } from '@tvisor/vfs';
import type { Task } from '../task.js';
import { runSocketFilter, type BpfInstruction } from '../bpf.js';
import { interfaceIoctl, isInterfaceIoctl } from './interface-ioctl.js';
import type { SocketInode } from './sockfs.js';
import type { MessageCreds } from './unix/queue.js';

/** Linux's net.core.wmem_max / rmem_max and the default SO_SNDBUF/SO_RCVBUF. */
export const SOCKET_BUFFER_DEFAULT = 212992;
const SOCK_MIN_SNDBUF = 4608;
const SOCK_MIN_RCVBUF = 2304;

/**
 * The size SO_RCVBUF/SO_SNDBUF ask for before Linux doubles it: capped by the
 * sysctl maximum, compared as unsigned (so a negative request asks for the
 * maximum). The FORCE forms (CAP_NET_ADMIN, checked by setsockopt) skip the
 * maximum, count a negative request as 0 and keep the double within an int.
 */
function requestedBuffer(forced: boolean, v: number): number {
  return forced ? Math.min(Math.max(v, 0), 0x3fffffff) : Math.min(v >>> 0, SOCKET_BUFFER_DEFAULT);
}

/** One message to send: data plus what sendmsg's control messages asked for. */
export interface OutgoingMessage {
  data: Uint8Array;
  /** The destination sockaddr bytes (sendto/msg_name), or null. */
  to: Uint8Array | null;
  /** SCM_RIGHTS: the caller holds one reference to each; a socket that takes the message takes them over. */
  rights: FileDescription[] | null;
  /** SCM_CREDENTIALS as the sender passed them, or null for the sender's own. */
  creds: MessageCreds | null;
  /** MSG_* flags of the call. */
  flags: number;
  /** sendmsg's control messages of protocol levels (SOL_IP, SOL_IPV6...), for the protocol to apply; SOL_SOCKET ones are above. */
  protocolControl?: ControlMessage[];
  /**
   * A blocking write(2): a stream socket that has any room takes all of
   * `data`, because the generic write path cannot wait in the middle of a
   * transfer and Linux's blocking stream write never returns short.
   */
  wholeWrite?: boolean;
}

/** What one receive produced. */
export interface IncomingMessage {
  data: Uint8Array;
  /** Full length of the message (datagrams), for MSG_TRUNC. */
  length: number;
  /** The sender's sockaddr bytes, or null when there is none to report (msg_namelen 0). */
  from: Uint8Array | null;
  /** Received descriptors, one reference each, for the caller to install. */
  rights: FileDescription[] | null;
  /** Credentials to report as SCM_CREDENTIALS (only when the receiver asked with SO_PASSCRED). */
  creds: MessageCreds | null;
  /** MSG_TRUNC / MSG_EOR etc. for msg_flags. */
  flags: number;
  /** Protocol control messages for recvmsg (IP_PKTINFO, IP_TTL, TCP_CM_INQ...), after SCM_CREDENTIALS and SCM_RIGHTS. */
  control?: ControlMessage[];
}

/** One control message a protocol reports on recvmsg: cmsg_level, cmsg_type and the payload. */
export interface ControlMessage {
  level: number;
  type: number;
  data: Uint8Array;
}

/** Who is calling: the credentials a socket records (SO_PEERCRED, SCM_CREDENTIALS). */
export function callerCreds(t: Task): MessageCreds {
  return { pid: t.group.pid, uid: t.creds.euid, gid: t.creds.egid };
}

/** The int an option's value holds (EINVAL if shorter than an int, as Linux). */
export function optionInt(value: Uint8Array): number {
  if (value.length < 4) throw new SysError(Errno.EINVAL);
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getInt32(0, true);
}

/** An int option value as bytes. */
export function encodeIntOption(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v, true);
  return out;
}

/**
 * A socket timeout meaning "never wait": what a negative SO_RCVTIMEO or
 * SO_SNDTIMEO sets (Linux stores a zero sk_rcvtimeo, so the call acts as if
 * MSG_DONTWAIT were given). 0 means wait forever.
 */
export const SOCKET_NO_WAIT = -1;

/** struct timeval bytes to milliseconds (0 = no timeout, SOCKET_NO_WAIT for a negative one). */
function timevalMs(value: Uint8Array): number {
  if (value.length < 16) throw new SysError(Errno.EINVAL);
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const sec = Number(v.getBigInt64(0, true));
  const usec = Number(v.getBigInt64(8, true));
  if (usec < 0 || usec >= 1_000_000) throw new SysError(Errno.EDOM);
  if (sec < 0) return SOCKET_NO_WAIT;
  return sec * 1000 + Math.ceil(usec / 1000);
}

function timeval(ms: number): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  // A negative timeout reads back as zero, as Linux's sock_get_timeout gives it.
  if (ms < 0) return out;
  v.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  v.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
  return out;
}

/**
 * A socket's half of an open file: the protocol-independent state (socket
 * options kept at the socket layer, timeouts, the waiter queue) and the
 * operations the socket syscalls call. Every operation is non-blocking: it
 * throws SysError(EAGAIN) where the call would wait, and the syscall layer
 * waits for readiness (or the SO_RCVTIMEO/SO_SNDTIMEO timeout) and retries.
 * read(2)/write(2) on the descriptor are recv/send without flags.
 */
export abstract class SocketImpl extends FileImplBase {
  abstract readonly family: number;
  abstract readonly type: number;
  abstract readonly protocol: number;

  constructor(readonly sockInode: SocketInode) {
    super(sockInode);
  }

  readonly waiters = new WaiterQueue();
  /** SO_RCVTIMEO / SO_SNDTIMEO in milliseconds (0: wait forever; SOCKET_NO_WAIT: never wait). */
  recvTimeoutMs = 0;
  sendTimeoutMs = 0;
  sndbuf = SOCKET_BUFFER_DEFAULT;
  rcvbuf = SOCKET_BUFFER_DEFAULT;
  /** SOL_SOCKET flags kept for getsockopt only (no behaviour behind them here). */
  private readonly plainOptions = new Map<number, number>();
  private linger: Linger = { l_onoff: 0, l_linger: 0 };
  /** SO_ATTACH_FILTER's program (validated), or null; SO_LOCK_FILTER forbids changing it. */
  private filterProgram: readonly BpfInstruction[] | null = null;
  private filterLocked = false;
  /** Credentials of whoever created the socket, used by read(2)/write(2), which carry no task. */
  ownerCreds: MessageCreds = { pid: 0, uid: 0, gid: 0 };

  abstract bind(t: Task, addr: Uint8Array): void;
  abstract listen(t: Task, backlog: number): void;
  /** An established connection, or EAGAIN. */
  abstract accept(t: Task): SocketImpl;
  /** connect(2), including any waiting it needs (it may park `t` and return BLOCKED). */
  abstract connect(t: Task, addr: Uint8Array, nonblock: boolean): number;
  /**
   * Sends (part of) a message: the bytes taken, or EAGAIN. `t` is the
   * sending task when there is one (sendto to a path resolves it in the
   * task's filesystem); write(2) passes null.
   */
  abstract send(msg: OutgoingMessage, sender: MessageCreds, t: Task | null): number;
  /** Receives up to `max` bytes, or EAGAIN; `flags` are MSG_PEEK etc. */
  abstract recv(max: number, flags: number): IncomingMessage;
  abstract shutdown(how: number): void;
  /** getsockname(2)'s address bytes (their length is what addrlen reports). */
  abstract sockname(): Uint8Array;
  /** getpeername(2)'s address bytes, or ENOTCONN; `accepting`: for accept(2), which names even a peer that reset meanwhile. */
  abstract peername(accepting?: boolean): Uint8Array;
  /** Whether recv/send on this socket keep message boundaries (read(2) must not split a datagram). */
  abstract readonly messageOriented: boolean;

  /** Bytes a read would find now (FIONREAD/SIOCINQ): unread stream bytes, or the next datagram's size. */
  abstract inq(): number;
  /** Bytes sent and not yet taken by the peer (TIOCOUTQ/SIOCOUTQ). */
  abstract outq(): number;

  /** ioctl(2) requests sockets answer; the kernel's ioctl calls this with the task (see syscalls/file.ts UserIoctl). */
  userIoctl(t: Task, cmd: number, arg: number): number {
    switch (cmd) {
      case FIO.NREAD:
      case TIOC.OUTQ: {
        const v = cmd === FIO.NREAD ? this.inq() : this.outq();
        const out = new Uint8Array(4);
        new DataView(out.buffer).setInt32(0, v, true);
        t.mm.copyOut(arg, out);
        return 0;
      }
      default:
        if (isInterfaceIoctl(cmd)) return interfaceIoctl(t, this.family, cmd, arg);
        throw new SysError(Errno.ENOTTY);
    }
  }

  /** Protocol options (levels other than SOL_SOCKET, and SOL_SOCKET ones the protocol owns); undefined if unknown. */
  /**
   * The longest message the protocol takes, checked before the data is
   * copied in (so a huge send is EMSGSIZE, not EFAULT); undefined when the
   * protocol checks only later.
   */
  get maxMessageSize(): number | undefined {
    return undefined;
  }

  /**
   * Hands the protocol the receive filter every arriving packet passes (null
   * removes it); false if the protocol runs none, and SO_ATTACH_FILTER is then
   * ENOPROTOOPT.
   */
  protected installReceiveFilter(_filter: ((packet: Uint8Array) => number) | null): boolean {
    return false;
  }

  /** SO_LOCK_FILTER is set: the filter can no longer be attached or detached. */
  get filterIsLocked(): boolean {
    return this.filterLocked;
  }

  /** The attached socket filter (SO_GET_FILTER reads it), or null. */
  get receiveFilterProgram(): readonly BpfInstruction[] | null {
    return this.filterProgram;
  }

  /** An accepted connection shares its listener's filter and lock, as Linux's sk_clone_lock copies them. */
  protected inheritFilter(listener: SocketImpl): void {
    this.filterProgram = listener.filterProgram;
    this.filterLocked = listener.filterLocked;
  }

  /** SO_ATTACH_FILTER with a validated program: EPERM once SO_LOCK_FILTER is set, ENOPROTOOPT where the protocol runs no filters. */
  attachFilter(program: readonly BpfInstruction[]): void {
    if (this.filterLocked) throw new SysError(Errno.EPERM);
    if (!this.installReceiveFilter((packet) => runSocketFilter(program, packet))) throw new SysError(Errno.ENOPROTOOPT);
    this.filterProgram = program;
  }

  protected protocolGetOption(_level: number, _name: number): Uint8Array | undefined {
    return undefined;
  }
  protected protocolSetOption(_level: number, _name: number, _value: Uint8Array): boolean {
    return false;
  }

  /** getsockopt(2): the option's value (the caller truncates it to optlen). ENOPROTOOPT if unknown. */
  getOption(level: number, name: number): Uint8Array {
    const own = this.protocolGetOption(level, name);
    if (own) return own;
    if (level !== SOL.SOCKET) throw new SysError(Errno.ENOPROTOOPT);
    switch (name) {
      case SO.TYPE:
        return encodeIntOption(this.type);
      case SO.DOMAIN:
        return encodeIntOption(this.family);
      case SO.PROTOCOL:
        return encodeIntOption(this.protocol);
      case SO.SNDBUF:
        return encodeIntOption(this.sndbuf);
      case SO.RCVBUF:
        return encodeIntOption(this.rcvbuf);
      case SO.RCVTIMEO:
        return timeval(this.recvTimeoutMs);
      case SO.SNDTIMEO:
        return timeval(this.sendTimeoutMs);
      case SO.LINGER: {
        const out = new Uint8Array(Linger.size);
        Linger.encode(new DataView(out.buffer), 0, this.linger);
        return out;
      }
      case SO.REUSEADDR:
      case SO.REUSEPORT:
      case SO.KEEPALIVE:
      case SO.BROADCAST:
      case SO.OOBINLINE:
      case SO.DONTROUTE:
      case SO.PRIORITY:
      case SO.TIMESTAMP:
      case SO.NO_CHECK:
      case SO.MARK:
        return encodeIntOption(this.plainOptions.get(name) ?? 0);
      case SO.RCVLOWAT:
      case SO.SNDLOWAT:
        return encodeIntOption(this.plainOptions.get(name) ?? 1);
      case SO.ERROR:
        return encodeIntOption(0);
      case SO.LOCK_FILTER:
        return encodeIntOption(this.filterLocked ? 1 : 0);
      default:
        throw new SysError(Errno.ENOPROTOOPT);
    }
  }

  /** setsockopt(2). ENOPROTOOPT if unknown, EINVAL for a bad value. */
  setOption(level: number, name: number, value: Uint8Array): void {
    if (this.protocolSetOption(level, name, value)) return;
    if (level !== SOL.SOCKET) throw new SysError(Errno.ENOPROTOOPT);
    switch (name) {
      case SO.SNDBUF:
      case SO.SNDBUFFORCE:
        this.sndbuf = Math.max(requestedBuffer(name === SO.SNDBUFFORCE, optionInt(value)) * 2, SOCK_MIN_SNDBUF);
        return;
      case SO.RCVBUF:
      case SO.RCVBUFFORCE:
        this.rcvbuf = Math.max(requestedBuffer(name === SO.RCVBUFFORCE, optionInt(value)) * 2, SOCK_MIN_RCVBUF);
        return;
      case SO.RCVTIMEO:
        this.recvTimeoutMs = timevalMs(value);
        return;
      case SO.SNDTIMEO:
        this.sendTimeoutMs = timevalMs(value);
        return;
      case SO.LINGER:
        if (value.length < Linger.size) throw new SysError(Errno.EINVAL);
        {
          // As Linux: l_onoff 0 clears the flag and keeps the old time, which getsockopt still reports.
          const set = Linger.decode(new DataView(value.buffer, value.byteOffset, value.byteLength), 0);
          this.linger = set.l_onoff ? { l_onoff: 1, l_linger: set.l_linger } : { l_onoff: 0, l_linger: this.linger.l_linger };
          return;
        }
      case SO.REUSEADDR:
      case SO.REUSEPORT:
      case SO.KEEPALIVE:
      case SO.BROADCAST:
      case SO.OOBINLINE:
      case SO.DONTROUTE:
      case SO.TIMESTAMP:
      case SO.NO_CHECK:
        this.plainOptions.set(name, optionInt(value) !== 0 ? 1 : 0);
        return;
      case SO.PRIORITY:
      case SO.MARK:
        this.plainOptions.set(name, optionInt(value));
        return;
      case SO.RCVLOWAT:
        this.plainOptions.set(name, Math.max(1, optionInt(value)));
        return;
      case SO.SNDLOWAT:
        throw new SysError(Errno.ENOPROTOOPT);
      case SO.DETACH_FILTER:
        // As sk_detach_filter: the value is ignored; nothing attached is ENOENT.
        if (this.filterLocked) throw new SysError(Errno.EPERM);
        if (!this.filterProgram) throw new SysError(Errno.ENOENT);
        this.installReceiveFilter(null);
        this.filterProgram = null;
        return;
      case SO.LOCK_FILTER:
        // Once locked, only another lock request succeeds.
        if (this.filterLocked && optionInt(value) === 0) throw new SysError(Errno.EPERM);
        this.filterLocked = optionInt(value) !== 0;
        return;
      default:
        throw new SysError(Errno.ENOPROTOOPT);
    }
  }

  // ---- the file side: read(2)/write(2)/poll on the descriptor --------------

  override read(_fd: FileDescription, dst: Uint8Array): number {
    if (dst.length === 0 && !this.messageOriented) return 0;
    const msg = this.recv(dst.length, 0);
    for (const f of msg.rights ?? []) f.decRef();
    dst.set(msg.data);
    return msg.data.length;
  }

  override write(fd: FileDescription, src: Uint8Array): number {
    const wholeWrite = (fd.statusFlags & O.NONBLOCK) === 0;
    return this.send({ data: src, to: null, rights: null, creds: null, flags: 0, wholeWrite }, this.ownerCreds, null);
  }

  override pread(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override pwrite(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }
  override allocate(): void {
    throw new SysError(Errno.ESPIPE);
  }

  abstract override readiness(fd: FileDescription, mask: number): number;

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.waiters.subscribe(mask, cb);
  }
}

/** The address family of a sockaddr's bytes (AF_UNSPEC if too short to tell). */
export function sockaddrFamily(addr: Uint8Array): number {
  return addr.length >= 2 ? addr[0] | (addr[1] << 8) : AF.UNSPEC;
}

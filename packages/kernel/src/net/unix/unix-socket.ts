import { AF, ACCESS, AT, Errno, MSG, POLL, S, SHUT, SO, SOCK, SOL, SysError, Ucred } from '@tvisor/abi';
import { WaiterQueue, type FileDescription, type Inode, type ReadinessCallback } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { Task } from '../../task.js';
import { vfsCredentials } from '../../fs-context.js';
import { retryOnReadiness } from '../../blocking-io.js';
import { newSocketInode, type SocketInode } from '../sockfs.js';
import { callerCreds, encodeIntOption, optionInt, SocketImpl, type IncomingMessage, type OutgoingMessage } from '../socket.js';
import { abstractKey, encodeUnixAddress, parseUnixAddress, unnamedAddress, type UnixName } from './address.js';
import { UnixReceiveQueue, type InFlight, type MessageCreds } from './queue.js';

/** Linux's net.unix.max_dgram_qlen default: datagrams a socket queues from senders it is not paired with. */
export const MAX_DGRAM_QLEN = 10;
/** net.core.somaxconn: the largest listen backlog. */
export const SOMAXCONN = 4096;
/** SCM_MAX_FD: descriptors one SCM_RIGHTS message may carry. */
export const SCM_MAX_FD = 253;

const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;
const SHUTDOWN_MASK = 3;

/** What SO_PEERCRED reports when there is no peer: pid 0 and ids -1 (Linux's INVALID_UID/GID). */
const NO_PEER_CRED: MessageCreds = { pid: 0, uid: 0xffffffff, gid: 0xffffffff };
/** /proc/sys/kernel/overflowuid and overflowgid: what an unset uid/gid reads as in SCM_CREDENTIALS. */
const OVERFLOW_ID = 65534;
/** SCM_CREDENTIALS for a message sent with no credentials attached (no pid, invalid ids). */
const NO_MESSAGE_CREDS: MessageCreds = { pid: 0, uid: OVERFLOW_ID, gid: OVERFLOW_ID };

/**
 * The Unix socket names of one sandbox: the abstract namespace, the socket
 * bound to each filesystem socket inode, and the autobind counter. One per
 * kernel.
 */
export class UnixNamespace {
  readonly abstract = new Map<string, UnixSocket>();
  readonly byInode = new WeakMap<Inode, UnixSocket>();
  /** Told whenever any datagram socket's queue shrinks: senders blocked on a full receiver retry. */
  readonly dgramSpace = new WaiterQueue();
  private autobindNext = 0;

  /** The next free autobind name: NUL and five hex digits, as Linux picks. */
  autobindName(type: number): Uint8Array {
    for (let tries = 0; tries < 0x100000; tries++) {
      const text = '\0' + (this.autobindNext++ & 0xfffff).toString(16).padStart(5, '0');
      const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
      if (!this.abstract.has(abstractKey(bytes, type))) return bytes;
    }
    throw new SysError(Errno.ENOSPC);
  }
}

const namespaces = new WeakMap<Kernel, UnixNamespace>();

/** The kernel's Unix socket namespace, made on first use. */
export function unixNamespace(kernel: Kernel): UnixNamespace {
  let ns = namespaces.get(kernel);
  if (!ns) {
    ns = new UnixNamespace();
    namespaces.set(kernel, ns);
  }
  return ns;
}

type State = 'unconnected' | 'listening' | 'connected';

/**
 * A Unix domain socket (unix(7)): SOCK_STREAM, SOCK_DGRAM or
 * SOCK_SEQPACKET; path, abstract or unnamed; SCM_RIGHTS, SCM_CREDENTIALS,
 * SO_PASSCRED and SO_PEERCRED. Data moves straight into the peer's receive
 * queue; a stream sender is limited by its SO_SNDBUF worth of unread bytes
 * at the peer, a datagram sender also by the receiver's queue length.
 */
export class UnixSocket extends SocketImpl {
  readonly family = AF.UNIX;
  readonly protocol = 0;
  readonly queue: UnixReceiveQueue;
  state: State = 'unconnected';
  /** Stream/seqpacket: the other end. Datagram: the connect(2)ed default destination. */
  peer: UnixSocket | null = null;
  /** This socket's name as sockaddr_un bytes, or null while unnamed. */
  address: Uint8Array | null = null;
  private binding: { kind: 'path'; inode: Inode } | { kind: 'abstract'; key: string } | null = null;
  private readonly acceptQueue: UnixSocket[] = [];
  private backlog = 0;
  /** sk_shutdown: RCV_SHUTDOWN | SEND_SHUTDOWN. */
  private shutdownMask = 0;
  /** sk_err: a pending error (ECONNRESET) reported once by recv or SO_ERROR. */
  private pendingError = 0;
  passcred = false;
  /** What this socket wrote that is still queued at a receiver (Linux's sk_wmem_alloc, without skb overhead). */
  private readonly written: InFlight = { bytes: 0 };
  /** SO_PEERCRED: the peer's credentials at connect (or listen) time. */
  peerCred: MessageCreds | null = null;
  /** The credentials recorded by listen(2), handed to connecting clients as their SO_PEERCRED. */
  private listenCred: MessageCreds | null = null;
  /** Closed (the last reference to its description is gone) or, for an unaccepted connection, dropped. */
  dead = false;

  constructor(
    inode: SocketInode,
    readonly ns: UnixNamespace,
    readonly type: number,
  ) {
    super(inode);
    this.queue = new UnixReceiveQueue();
  }

  get messageOriented(): boolean {
    return this.type !== SOCK.STREAM;
  }

  private get connectionOriented(): boolean {
    return this.type !== SOCK.DGRAM;
  }

  /** Connects two fresh sockets to each other (socketpair(2)). */
  static pair(a: UnixSocket, b: UnixSocket, creds: MessageCreds): void {
    a.peer = b;
    b.peer = a;
    a.peerCred = creds;
    b.peerCred = creds;
    if (a.connectionOriented) {
      a.state = 'connected';
      b.state = 'connected';
    }
  }

  // ---- naming --------------------------------------------------------------

  bind(t: Task, raw: Uint8Array): void {
    const name = parseUnixAddress(raw, true);
    // Linux creates the socket file before it looks at whether the socket
    // already has a name: an existing path is EADDRINUSE either way.
    if (this.address && name.kind !== 'path') throw new SysError(Errno.EINVAL);
    this.bindName(t, name);
  }

  private bindName(t: Task, name: UnixName): void {
    if (name.kind === 'path') {
      const fs = t.group.fs;
      const ctx = fs.context(t, AT.FDCWD, name.path);
      try {
        // The file takes the socket inode's permissions (fchmod on the socket changes them), less the umask (mknodAt applies it).
        fs.vfs.mknodAt(ctx, name.path, S.IFSOCK | (this.sockInode.stat().mode & 0o7777), 0);
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.EEXIST) throw new SysError(Errno.EADDRINUSE);
        throw e;
      }
      if (this.address) {
        fs.vfs.unlinkAt(ctx, name.path);
        throw new SysError(Errno.EINVAL);
      }
      const inode = fs.vfs.getVd(ctx, name.path, { follow: false }).dentry.inode;
      this.ns.byInode.set(inode, this);
      this.binding = { kind: 'path', inode };
      this.address = encodeUnixAddress(name);
      return;
    }
    const bytes = name.kind === 'abstract' ? name.bytes : this.ns.autobindName(this.type);
    const key = abstractKey(bytes, this.type);
    if (this.ns.abstract.has(key)) throw new SysError(Errno.EADDRINUSE);
    this.ns.abstract.set(key, this);
    this.binding = { kind: 'abstract', key };
    this.address = encodeUnixAddress({ kind: 'abstract', bytes });
  }

  /** Gives a socket that sends credentials a name, as Linux does, so its receivers can answer. */
  private autobind(): void {
    if (this.address) return;
    const bytes = this.ns.autobindName(this.type);
    const key = abstractKey(bytes, this.type);
    this.ns.abstract.set(key, this);
    this.binding = { kind: 'abstract', key };
    this.address = encodeUnixAddress({ kind: 'abstract', bytes });
  }

  /** The socket a name refers to: ENOENT-like path errors, ECONNREFUSED when no socket is bound there. */
  private lookup(t: Task, name: UnixName): UnixSocket {
    let found: UnixSocket | undefined;
    if (name.kind === 'path') {
      const fs = t.group.fs;
      const ctx = fs.context(t, AT.FDCWD, name.path);
      const inode = fs.vfs.getVd(ctx, name.path).dentry.inode;
      if ((inode.stat().mode & S.IFMT) !== S.IFSOCK) throw new SysError(Errno.ECONNREFUSED);
      fs.vfs.accessAt(ctx, name.path, ACCESS.W_OK, 0);
      found = this.ns.byInode.get(inode);
    } else if (name.kind === 'abstract') {
      found = this.ns.abstract.get(abstractKey(name.bytes, this.type));
    }
    // Abstract names are per socket type (Linux hashes the type in): another type's name is not found.
    if (!found || found.dead) throw new SysError(Errno.ECONNREFUSED);
    if (found.type !== this.type) throw new SysError(Errno.EPROTOTYPE);
    return found;
  }

  sockname(): Uint8Array {
    return this.address ?? unnamedAddress();
  }

  peername(): Uint8Array {
    const peer = this.peer;
    if (!peer || (this.connectionOriented && this.state !== 'connected')) throw new SysError(Errno.ENOTCONN);
    return peer.address ?? unnamedAddress();
  }

  // ---- connections ---------------------------------------------------------

  listen(t: Task, backlog: number): void {
    if (!this.connectionOriented) throw new SysError(Errno.EOPNOTSUPP);
    if (!this.address || this.state === 'connected') throw new SysError(Errno.EINVAL);
    this.backlog = backlog >>> 0 > SOMAXCONN ? SOMAXCONN : backlog;
    if (this.state === 'listening') return;
    this.state = 'listening';
    this.listenCred = callerCreds(t);
    this.waiters.notify(POLL.OUT | POLL.HUP);
  }

  accept(_t: Task): SocketImpl {
    if (this.state !== 'listening') throw new SysError(Errno.EINVAL);
    const conn = this.acceptQueue.shift();
    if (!conn) throw new SysError(Errno.EAGAIN);
    // A connect(2) blocked on the full backlog may go on.
    this.waiters.notify(POLL.OUT);
    return conn;
  }

  connect(t: Task, raw: Uint8Array, nonblock: boolean): number {
    if (!this.connectionOriented) {
      this.connectDatagram(t, raw);
      return 0;
    }
    const name = parseUnixAddress(raw, false);
    if (name.kind === 'autobind') throw new SysError(Errno.EINVAL);
    if (this.state === 'connected') throw new SysError(Errno.EISCONN);
    if (this.state === 'listening') throw new SysError(Errno.EINVAL);
    const attempt = (): number => {
      const server = this.lookup(t, name);
      if (server.state !== 'listening') throw new SysError(Errno.ECONNREFUSED);
      if (server.acceptQueue.length > server.backlog) throw new SysError(Errno.EAGAIN);
      // A client that wants credentials gets a name its server can see (unix_stream_connect).
      if (this.passcred) this.autobind();
      this.establish(t, server);
      return 0;
    };
    try {
      return attempt();
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN || nonblock) throw e;
    }
    // The backlog is full: wait for the listener to accept one (or go away).
    return retryOnReadiness(t, (cb) => this.lookup(t, name).waiters.subscribe(POLL.OUT, cb), attempt);
  }

  /** Makes the server-side socket of a new connection and queues it for accept(2). */
  private establish(t: Task, server: UnixSocket): void {
    const conn = new UnixSocket(newSocketInode(vfsCredentials(t.creds)), this.ns, this.type);
    conn.state = 'connected';
    conn.address = server.address;
    conn.peer = this;
    conn.peerCred = callerCreds(t);
    conn.passcred = server.passcred;
    conn.ownerCreds = server.ownerCreds;
    this.peer = conn;
    this.state = 'connected';
    this.peerCred = server.listenCred;
    server.acceptQueue.push(conn);
    server.waiters.notify(POLL.IN | POLL.RDNORM);
    this.waiters.notify(POLL.OUT | POLL.WRNORM);
  }

  private connectDatagram(t: Task, raw: Uint8Array): void {
    if (raw.length >= 2 && (raw[0] | (raw[1] << 8)) === AF.UNSPEC) {
      this.peer = null;
      this.peerCred = null;
      this.waiters.notify(POLL.OUT);
      return;
    }
    const name = parseUnixAddress(raw, false);
    const target = this.lookup(t, name);
    if (this.passcred) this.autobind();
    this.peer = target;
    // Linux records peer credentials for connections and socketpair only.
    this.peerCred = null;
    this.waiters.notify(POLL.OUT);
  }

  shutdown(how: number): void {
    if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) throw new SysError(Errno.EINVAL);
    const mode = (how + 1) & SHUTDOWN_MASK;
    this.shutdownMask |= mode;
    this.waiters.notify(POLL.IN | POLL.OUT | POLL.HUP | POLL.RDHUP);
    const peer = this.peer;
    if (peer && this.connectionOriented && this.state === 'connected') {
      let peerMode = 0;
      if (mode & RCV_SHUTDOWN) peerMode |= SEND_SHUTDOWN;
      if (mode & SEND_SHUTDOWN) peerMode |= RCV_SHUTDOWN;
      peer.shutdownMask |= peerMode;
      peer.waiters.notify(POLL.IN | POLL.OUT | POLL.HUP | POLL.RDHUP);
    }
  }

  // ---- data ----------------------------------------------------------------

  send(msg: OutgoingMessage, sender: MessageCreds, t: Task | null): number {
    if (msg.flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
    if (msg.rights && msg.rights.length > SCM_MAX_FD) throw new SysError(Errno.EINVAL);
    return this.type === SOCK.STREAM ? this.sendStream(msg, sender) : this.sendMessage(msg, sender, t);
  }

  private sendStream(msg: OutgoingMessage, sender: MessageCreds): number {
    if (msg.to) throw new SysError(this.state === 'connected' ? Errno.EISCONN : Errno.EOPNOTSUPP);
    const peer = this.peer;
    if (this.state !== 'connected' || !peer) throw new SysError(Errno.ENOTCONN);
    if (this.shutdownMask & SEND_SHUTDOWN) throw new SysError(Errno.EPIPE);
    if (peer.dead || peer.shutdownMask & RCV_SHUTDOWN) throw new SysError(Errno.EPIPE);
    if (msg.data.length === 0) return 0;
    const space = this.sndbuf - peer.queue.bytes;
    if (space <= 0) throw new SysError(Errno.EAGAIN);
    const n = msg.wholeWrite ? msg.data.length : Math.min(space, msg.data.length);
    peer.queue.push({
      data: msg.data.slice(0, n),
      from: this.address,
      rights: msg.rights,
      creds: this.attachedCreds(msg, sender, peer),
      inFlight: this.written,
    });
    this.written.bytes += n;
    peer.waiters.notify(POLL.IN | POLL.RDNORM);
    return n;
  }

  private sendMessage(msg: OutgoingMessage, sender: MessageCreds, t: Task | null): number {
    let target: UnixSocket;
    if (this.type === SOCK.SEQPACKET) {
      if (this.state !== 'connected' || !this.peer) throw new SysError(Errno.ENOTCONN);
      target = this.peer;
    } else if (msg.to) {
      if (!t) throw new SysError(Errno.EDESTADDRREQ);
      target = this.lookup(t, parseUnixAddress(msg.to, false));
    } else {
      if (!this.peer) throw new SysError(Errno.ENOTCONN);
      target = this.peer;
    }
    if (msg.data.length > this.sndbuf - 32) throw new SysError(Errno.EMSGSIZE);
    if (this.shutdownMask & SEND_SHUTDOWN) throw new SysError(Errno.EPIPE);
    if (target.dead) {
      if (this.type === SOCK.SEQPACKET) throw new SysError(Errno.EPIPE);
      if (target === this.peer) {
        this.peer = null;
        this.peerCred = null;
      }
      throw new SysError(Errno.ECONNREFUSED);
    }
    if (this.type === SOCK.DGRAM && target.peer && target.peer !== this && target !== this) throw new SysError(Errno.EPERM);
    if (target.shutdownMask & RCV_SHUTDOWN) throw new SysError(Errno.EPIPE);
    if (target.full(this)) throw new SysError(Errno.EAGAIN);
    if (this.passcred || target.passcred) this.autobind();
    target.queue.push({
      data: msg.data.slice(),
      from: this.address,
      rights: msg.rights,
      creds: this.attachedCreds(msg, sender, target),
      inFlight: this.written,
    });
    this.written.bytes += msg.data.length;
    target.waiters.notify(POLL.IN | POLL.RDNORM);
    return msg.data.length;
  }

  /** The credentials a message carries: those passed in SCM_CREDENTIALS, else the sender's if either end has SO_PASSCRED (maybe_add_creds), else none. */
  private attachedCreds(msg: OutgoingMessage, sender: MessageCreds, receiver: UnixSocket): MessageCreds | null {
    if (msg.creds) return msg.creds;
    return this.passcred || receiver.passcred ? sender : null;
  }

  /** Whether a message from `sender` would overflow this socket's receive queue (Linux's unix_recvq_full and the sender's sndbuf). */
  private full(sender: UnixSocket): boolean {
    if (this.queue.bytes >= sender.sndbuf || sender.written.bytes >= sender.sndbuf) return true;
    return this.peer !== sender && this.queue.length > MAX_DGRAM_QLEN;
  }

  recv(max: number, flags: number): IncomingMessage {
    if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
    const peek = (flags & MSG.PEEK) !== 0;
    if (this.type === SOCK.STREAM) {
      if (this.state !== 'connected') throw new SysError(Errno.EINVAL);
    } else if (this.type === SOCK.SEQPACKET && this.state !== 'connected') {
      throw new SysError(Errno.ENOTCONN);
    }
    const got = this.type === SOCK.STREAM ? this.queue.readStream(max, peek, this.passcred) : this.queue.readMessage(max, peek);
    if (!got) {
      if (this.pendingError) {
        const err = this.pendingError;
        this.pendingError = 0;
        throw new SysError(err);
      }
      if (this.shutdownMask & RCV_SHUTDOWN) return emptyMessage();
      throw new SysError(Errno.EAGAIN);
    }
    if (!peek) this.spaceFreed();
    let outFlags = 0;
    if (this.type !== SOCK.STREAM && got.length > got.data.length) outFlags |= MSG.TRUNC;
    return {
      data: got.data,
      length: got.length,
      // A stream names the sending socket as it is now (unix_copy_addr of skb->sk): a peer bound after it wrote is named.
      from: this.type === SOCK.STREAM ? (this.peer?.address ?? got.from) : got.from,
      rights: got.rights,
      creds: this.passcred ? (got.creds ?? NO_MESSAGE_CREDS) : null,
      flags: outFlags,
    };
  }

  /** Data left the queue: a writer waiting for room may go on. */
  private spaceFreed(): void {
    if (this.type === SOCK.STREAM || this.type === SOCK.SEQPACKET) {
      this.peer?.waiters.notify(POLL.OUT | POLL.WRNORM);
    } else {
      this.ns.dgramSpace.notify(POLL.OUT | POLL.WRNORM);
    }
  }

  inq(): number {
    if (this.state === 'listening') throw new SysError(Errno.EINVAL);
    return this.type === SOCK.STREAM ? this.queue.bytes : this.queue.headLength;
  }

  outq(): number {
    // What this socket wrote that its peer has not read yet (Linux's sk_wmem_alloc, without overhead).
    if (this.state === 'listening') throw new SysError(Errno.EINVAL);
    return this.type !== SOCK.DGRAM && this.peer ? this.peer.queue.bytes : 0;
  }

  // ---- options -------------------------------------------------------------

  protected override protocolGetOption(level: number, name: number): Uint8Array | undefined {
    // Unix sockets have no protocol-level options (sock_no_getsockopt).
    if (level !== SOL.SOCKET) throw new SysError(Errno.EOPNOTSUPP);
    switch (name) {
      case SO.PASSCRED:
        return encodeIntOption(this.passcred ? 1 : 0);
      case SO.ACCEPTCONN:
        return encodeIntOption(this.state === 'listening' ? 1 : 0);
      case SO.ERROR: {
        const err = this.pendingError;
        this.pendingError = 0;
        return encodeIntOption(err);
      }
      case SO.PEERCRED: {
        const out = new Uint8Array(Ucred.size);
        Ucred.encode(new DataView(out.buffer), 0, this.peerCred ?? NO_PEER_CRED);
        return out;
      }
      default:
        return undefined;
    }
  }

  protected override protocolSetOption(level: number, name: number, value: Uint8Array): boolean {
    if (level !== SOL.SOCKET) throw new SysError(Errno.EOPNOTSUPP);
    if (name === SO.PASSCRED) {
      this.passcred = optionInt(value) !== 0;
      return true;
    }
    return false;
  }

  // ---- the file side -------------------------------------------------------

  override readiness(_fd: FileDescription, mask: number): number {
    let ready = 0;
    if (this.pendingError) ready |= POLL.ERR;
    if (this.shutdownMask === SHUTDOWN_MASK) ready |= POLL.HUP;
    if (this.shutdownMask & RCV_SHUTDOWN) ready |= POLL.RDHUP | POLL.IN | POLL.RDNORM;
    if (!this.queue.empty || this.acceptQueue.length > 0) ready |= POLL.IN | POLL.RDNORM;
    if (this.connectionOriented && this.state === 'unconnected') ready |= POLL.HUP;
    if (this.writable()) ready |= POLL.OUT | POLL.WRNORM | POLL.WRBAND;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  private writable(): boolean {
    if (this.state === 'listening') return false;
    const peer = this.peer;
    if (this.type === SOCK.DGRAM) {
      if (peer && peer.peer !== this && !peer.dead && peer.full(this)) return false;
      // unix_dgram_poll: writable while at most a quarter of the send buffer is in flight, shut down or not.
      return this.written.bytes * 4 <= this.sndbuf;
    }
    // Linux's unix_writable: at most a quarter of the send buffer in flight.
    return !peer || peer.queue.bytes * 4 <= this.sndbuf;
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    const own = this.waiters.subscribe(mask, cb);
    if (this.type !== SOCK.DGRAM || !(mask & (POLL.OUT | POLL.WRNORM))) return own;
    const space = this.ns.dgramSpace.subscribe(POLL.OUT, cb);
    return () => {
      own();
      space();
    };
  }

  override release(_fd: FileDescription): void {
    this.close(false);
  }

  /** Linux's unix_release_sock: unbind, drop unaccepted connections, tell the peer. */
  private close(embryo: boolean): void {
    if (this.dead) return;
    this.dead = true;
    if (this.binding?.kind === 'abstract') {
      if (this.ns.abstract.get(this.binding.key) === this) this.ns.abstract.delete(this.binding.key);
    } else if (this.binding?.kind === 'path') {
      if (this.ns.byInode.get(this.binding.inode) === this) this.ns.byInode.delete(this.binding.inode);
    }
    for (const conn of this.acceptQueue.splice(0)) conn.close(true);
    const peer = this.peer;
    if (peer && this.connectionOriented && this.state === 'connected') {
      peer.shutdownMask = SHUTDOWN_MASK;
      if (!this.queue.empty || embryo) peer.pendingError = Errno.ECONNRESET;
      peer.waiters.notify(POLL.IN | POLL.OUT | POLL.HUP | POLL.RDHUP | POLL.ERR);
    }
    this.queue.purge();
    this.shutdownMask = SHUTDOWN_MASK;
    this.waiters.notify(POLL.IN | POLL.OUT | POLL.HUP);
    this.ns.dgramSpace.notify(POLL.OUT);
  }
}

function emptyMessage(): IncomingMessage {
  return { data: new Uint8Array(0), length: 0, from: null, rights: null, creds: null, flags: 0 };
}

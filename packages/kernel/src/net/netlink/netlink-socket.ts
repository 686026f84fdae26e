import { AF, Errno, MSG, NETLINK, NETLINK_OPT, NLM_F, NLMSG, POLL, SO, SOCK, SOL, SockaddrNl, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { Task } from '../../task.js';
import { sandboxStack } from '../inet/stack.js';
import { encodeIntOption, optionInt, SocketImpl, sockaddrFamily, type IncomingMessage, type OutgoingMessage } from '../socket.js';
import type { SocketInode } from '../sockfs.js';
import type { MessageCreds } from '../unix/queue.js';
import { doneMessage, errorMessage, parseMessages } from './message.js';
import { routeRequest } from './route.js';

/** Where Linux's netlink_autobind starts handing out negative port ids once the tgid is taken. */
const AUTOBIND_ROVER_START = -4096;
/** Largest datagram a dump reply fills before starting the next (Linux's netlink_dump uses up to 32 KiB). */
const DUMP_DATAGRAM_MAX = 32768;

/** The bound port ids of one kernel, per netlink protocol. */
const portTables = new WeakMap<Kernel, Map<number, Map<number, NetlinkSocket>>>();
let rover = AUTOBIND_ROVER_START;

function portsOf(kernel: Kernel, protocol: number): Map<number, NetlinkSocket> {
  let byProtocol = portTables.get(kernel);
  if (!byProtocol) portTables.set(kernel, (byProtocol = new Map()));
  let ports = byProtocol.get(protocol);
  if (!ports) byProtocol.set(protocol, (ports = new Map()));
  return ports;
}

function netlinkAddress(portId: number, groups: number): Uint8Array {
  const out = new Uint8Array(SockaddrNl.size);
  SockaddrNl.encode(new DataView(out.buffer), 0, { nl_family: AF.NETLINK, nl_pid: portId >>> 0, nl_groups: groups >>> 0 });
  return out;
}

function decodeNetlinkAddress(raw: Uint8Array): { pid: number; groups: number } {
  if (raw.length < SockaddrNl.size) throw new SysError(Errno.EINVAL);
  if (sockaddrFamily(raw) !== AF.NETLINK) throw new SysError(Errno.EINVAL);
  const a = SockaddrNl.decode(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0);
  return { pid: a.nl_pid, groups: a.nl_groups };
}

/** Credentials the kernel's own messages carry (SCM_CREDENTIALS with SO_PASSCRED). */
const KERNEL_CREDS: MessageCreds = { pid: 0, uid: 0, gid: 0 };

/**
 * An AF_NETLINK socket. NETLINK_ROUTE requests are answered from the
 * sandbox's netstack (links, addresses, routes, neighbours) and may change
 * it; NETLINK_KOBJECT_UEVENT sockets exist but receive no events (the
 * sandbox has no hotplug). Replies queue as datagrams until read. No
 * multicast notifications are sent.
 */
export class NetlinkSocket extends SocketImpl {
  readonly family = AF.NETLINK;
  readonly messageOriented = true;
  /** The bound port id (nl_pid), 0 until bound. */
  private portId = 0;
  private bound = false;
  private groups = 0;
  private readonly queue: Uint8Array[] = [];
  private passcred = false;
  /** SO_ATTACH_FILTER's program: every message the kernel sends this socket passes it, as netlink_unicast and netlink_dump run sk_filter. */
  private receiveFilter: ((packet: Uint8Array) => number) | null = null;
  /** SOL_NETLINK flag options kept for getsockopt (NETLINK_EXT_ACK, NETLINK_CAP_ACK...). */
  private readonly netlinkFlags = new Map<number, number>();

  constructor(
    inode: SocketInode,
    private readonly kernel: Kernel,
    readonly type: number,
    readonly protocol: number,
  ) {
    super(inode);
  }

  /** Binds to `pid` (0: the caller's tgid if free, else a negative rover id, as netlink_autobind). */
  private bindPort(t: Task, pid: number): void {
    const ports = portsOf(this.kernel, this.protocol);
    if (this.bound) {
      if (pid !== 0 && pid !== this.portId) throw new SysError(Errno.EINVAL);
      return;
    }
    if (pid === 0) {
      pid = t.group.pid;
      while (ports.has(pid)) {
        if (rover > AUTOBIND_ROVER_START) rover = AUTOBIND_ROVER_START;
        pid = rover-- >>> 0;
      }
    } else if (ports.has(pid)) {
      throw new SysError(Errno.EADDRINUSE);
    }
    ports.set(pid, this);
    this.portId = pid;
    this.bound = true;
  }

  bind(t: Task, addr: Uint8Array): void {
    const a = decodeNetlinkAddress(addr);
    // Joining rtnetlink groups needs no privilege (NL_CFG_F_NONROOT_RECV); no events are ever sent.
    this.bindPort(t, a.pid);
    this.groups = a.groups;
  }

  listen(): void {
    throw new SysError(Errno.EOPNOTSUPP);
  }

  accept(): SocketImpl {
    throw new SysError(Errno.EOPNOTSUPP);
  }

  connect(t: Task, addr: Uint8Array): number {
    const a = decodeNetlinkAddress(addr);
    if (a.pid !== 0) throw new SysError(Errno.ECONNREFUSED);
    this.bindPort(t, 0);
    return 0;
  }

  send(msg: OutgoingMessage, _sender: MessageCreds, t: Task | null): number {
    for (const f of msg.rights ?? []) f.decRef();
    msg.rights = null;
    if (msg.to && msg.to.length > 0) {
      const to = decodeNetlinkAddress(msg.to);
      // Only the kernel (port 0) answers here; unicast between user sockets is not supported.
      if (to.pid !== 0) throw new SysError(Errno.ECONNREFUSED);
    }
    if (!this.bound) {
      if (!t) throw new SysError(Errno.EINVAL);
      this.bindPort(t, 0);
    }
    if (this.protocol === NETLINK.ROUTE) this.handleRoute(msg.data, t);
    return msg.data.length;
  }

  /** netlink_rcv_skb over each message of the datagram: answer, error or acknowledge. */
  private handleRoute(data: Uint8Array, t: Task | null): void {
    const ctx = { stack: sandboxStack(this.kernel), privileged: (t?.group.creds.euid ?? this.ownerCreds.uid) === 0, portId: this.portId };
    for (const m of parseMessages(data)) {
      const { nlmsg_flags: flags, nlmsg_type: type, nlmsg_seq: seq } = m.header;
      let errno = 0;
      if (flags & NLM_F.REQUEST && type >= NLMSG.MIN_TYPE) {
        try {
          const reply = routeRequest(ctx, m);
          if (reply.dump) {
            this.queueDump(reply.messages, seq);
            continue;
          }
          for (const r of reply.messages) this.deliver(r);
        } catch (e) {
          if (!(e instanceof SysError)) throw e;
          errno = e.errno;
        }
      }
      if (errno !== 0 || flags & NLM_F.ACK) this.deliver(errorMessage(m, errno, this.portId));
    }
    this.waiters.notify(POLL.IN);
  }

  /**
   * Packs dump replies into datagrams of up to DUMP_DATAGRAM_MAX bytes. As
   * in Linux's netlink_dump, NLMSG_DONE comes in a datagram of its own: the
   * dump callback fills one, and the call that finds nothing left adds DONE.
   */
  private queueDump(messages: Uint8Array[], seq: number): void {
    let batch: Uint8Array[] = [];
    let size = 0;
    const flush = () => {
      if (batch.length === 0) return;
      const out = new Uint8Array(size);
      let at = 0;
      for (const b of batch) {
        out.set(b, at);
        at += b.length;
      }
      this.deliver(out);
      batch = [];
      size = 0;
    };
    for (const m of messages) {
      if (size + m.length > DUMP_DATAGRAM_MAX) flush();
      batch.push(m);
      size += m.length;
    }
    flush();
    this.deliver(doneMessage(seq, this.portId));
  }

  protected override installReceiveFilter(filter: ((packet: Uint8Array) => number) | null): boolean {
    this.receiveFilter = filter;
    return true;
  }

  /** Queues one datagram for the reader, unless the filter drops it; a shorter verdict trims it (to at least a byte, as sk_filter). */
  private deliver(datagram: Uint8Array): void {
    if (this.receiveFilter) {
      const keep = this.receiveFilter(datagram);
      if (keep === 0) return;
      if (keep < datagram.length) datagram = datagram.subarray(0, Math.max(1, keep));
    }
    this.queue.push(datagram);
  }

  recv(max: number, flags: number): IncomingMessage {
    if (flags & MSG.OOB) throw new SysError(Errno.EOPNOTSUPP);
    const next = this.queue[0];
    if (!next) throw new SysError(Errno.EAGAIN);
    if (!(flags & MSG.PEEK)) this.queue.shift();
    const data = next.subarray(0, Math.min(max, next.length));
    return {
      data,
      length: next.length,
      from: netlinkAddress(0, 0),
      rights: null,
      creds: this.passcred ? KERNEL_CREDS : null,
      flags: next.length > max ? MSG.TRUNC : 0,
    };
  }

  inq(): number {
    return this.queue[0]?.length ?? 0;
  }

  outq(): number {
    return 0;
  }

  shutdown(): void {
    // Linux's netlink has no shutdown operation (sock_no_shutdown).
    throw new SysError(Errno.EOPNOTSUPP);
  }

  sockname(): Uint8Array {
    return netlinkAddress(this.portId, this.groups);
  }

  peername(): Uint8Array {
    return netlinkAddress(0, 0);
  }

  protected override protocolGetOption(level: number, name: number): Uint8Array | undefined {
    if (level === SOL.SOCKET && name === SO.PASSCRED) return encodeIntOption(this.passcred ? 1 : 0);
    if (level !== SOL.NETLINK) return undefined;
    switch (name) {
      case NETLINK_OPT.PKTINFO:
      case NETLINK_OPT.BROADCAST_ERROR:
      case NETLINK_OPT.NO_ENOBUFS:
      case NETLINK_OPT.LISTEN_ALL_NSID:
      case NETLINK_OPT.CAP_ACK:
      case NETLINK_OPT.EXT_ACK:
      case NETLINK_OPT.GET_STRICT_CHK:
        return encodeIntOption(this.netlinkFlags.get(name) ?? 0);
      case NETLINK_OPT.LIST_MEMBERSHIPS:
        return encodeIntOption(this.groups);
      default:
        throw new SysError(Errno.ENOPROTOOPT);
    }
  }

  protected override protocolSetOption(level: number, name: number, value: Uint8Array): boolean {
    if (level === SOL.SOCKET) {
      switch (name) {
        case SO.PASSCRED:
          this.passcred = optionInt(value) !== 0;
          return true;
        default:
          return false;
      }
    }
    if (level !== SOL.NETLINK) return false;
    const v = optionInt(value);
    switch (name) {
      case NETLINK_OPT.ADD_MEMBERSHIP:
      case NETLINK_OPT.DROP_MEMBERSHIP:
        if (v <= 0 || v > 32) {
          if (v === 0) return true;
          throw new SysError(Errno.EINVAL);
        }
        if (name === NETLINK_OPT.ADD_MEMBERSHIP) this.groups |= 1 << (v - 1);
        else this.groups &= ~(1 << (v - 1));
        return true;
      case NETLINK_OPT.PKTINFO:
      case NETLINK_OPT.BROADCAST_ERROR:
      case NETLINK_OPT.NO_ENOBUFS:
      case NETLINK_OPT.LISTEN_ALL_NSID:
      case NETLINK_OPT.CAP_ACK:
      case NETLINK_OPT.EXT_ACK:
      case NETLINK_OPT.GET_STRICT_CHK:
        this.netlinkFlags.set(name, v !== 0 ? 1 : 0);
        return true;
      default:
        throw new SysError(Errno.ENOPROTOOPT);
    }
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return (POLL.OUT | (this.queue.length > 0 ? POLL.IN : 0)) & mask;
  }

  override release(): void {
    const ports = portsOf(this.kernel, this.protocol);
    if (this.bound && ports.get(this.portId) === this) ports.delete(this.portId);
    this.queue.length = 0;
  }
}

/** socket(2) for AF_NETLINK: SOCK_RAW or SOCK_DGRAM, NETLINK_ROUTE or NETLINK_KOBJECT_UEVENT. */
export function createNetlinkSocket(kernel: Kernel, inode: SocketInode, type: number, protocol: number): NetlinkSocket {
  if (type !== SOCK.RAW && type !== SOCK.DGRAM) throw new SysError(Errno.ESOCKTNOSUPPORT);
  if (protocol !== NETLINK.ROUTE && protocol !== NETLINK.KOBJECT_UEVENT) throw new SysError(Errno.EPROTONOSUPPORT);
  return new NetlinkSocket(inode, kernel, type, protocol);
}

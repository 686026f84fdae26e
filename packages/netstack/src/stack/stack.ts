// The Stack ties NICs, addresses, routes, the network layers and the
// transport protocols together, and owns the two things that keep a
// single-threaded stack sane:
//
// - Re-entrancy. Frames looped back while a packet is being processed, and
//   socket callbacks that call back into sockets, are queued and run after
//   the current unit of work, never nested inside it (see run()).
// - Time. All timers go through the injected Clock.

import { Errno, SysError } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import { get16 } from '../wire/bytes.js';
import { ETHERNET_HEADER_LEN, EtherType } from '../wire/ethernet.js';
import { Ipv4View } from '../wire/ipv4.js';
import { Ipv6View, IPV6_HEADER_LEN } from '../wire/ipv6.js';
import type { Icmpv4Repr } from '../wire/icmpv4.js';
import type { Icmpv6Repr } from '../wire/icmpv6.js';
import type { LinkEndpoint } from '../link/endpoint.js';
import { LoopbackEndpoint } from '../link/loopback.js';
import type { Clock, Timer } from '../time/clock.js';
import { TcpProtocol } from '../tcp/protocol.js';
import type { TcpConfig } from '../tcp/config.js';
import { UdpProtocol } from '../udp/protocol.js';
import { Ipv4Layer } from './ipv4.js';
import { Ipv6Layer } from './ipv6.js';
import { NeighborCache } from './neighbor.js';
import { RawEndpoints } from './raw.js';
import { Nic } from './nic.js';
import type { OutPacket } from './packet.js';
import { EPHEMERAL_FIRST, EPHEMERAL_LAST, validPortRange, type PortRange } from './ports.js';
import { RouteTable, type RouteEntry } from './route.js';
import type { PacketInfo, Route, TransportProtocol } from './types.js';

export interface StackOptions {
  /** Source of time and timers. */
  clock: Clock;
  /** Randomness in [0, 1) for initial sequence numbers, ephemeral ports and IP IDs (default Math.random). */
  random?: () => number;
  /** TCP tunables (defaults follow Linux). */
  tcp?: Partial<TcpConfig>;
}

/** Something with readiness to report once the current unit of work is over. */
export interface Notifiable {
  flushEvents(): void;
}

/** Observer of received ICMP messages (for ping utilities and tests). */
export type IcmpListener = (version: 4 | 6, info: PacketInfo, msg: Icmpv4Repr | Icmpv6Repr) => void;

/** Frames processed per turn before yielding to the clock, so a busy loopback cannot starve the host loop. */
const DRAIN_BUDGET = 4096;
/** Linux's icmp_msgs_per_sec / icmp_msgs_burst. */
const ICMP_RATE_PER_MS = 1;
const ICMP_BURST = 50;

export class Stack {
  readonly clock: Clock;
  readonly random: () => number;
  readonly routes = new RouteTable();
  readonly ipv4: Ipv4Layer;
  readonly ipv6: Ipv6Layer;
  readonly tcp: TcpProtocol;
  readonly udp: UdpProtocol;
  /** Raw sockets' endpoints, offered a copy of every inbound packet of their protocol. */
  readonly raw = new RawEndpoints();
  /** net.ipv4.ip_local_port_range: where TCP and UDP take ephemeral ports (setEphemeralPorts changes it). */
  ephemeralPorts: PortRange = { first: EPHEMERAL_FIRST, last: EPHEMERAL_LAST };

  private readonly nics = new Map<number, Nic>();
  /** Interface index of the next NIC: indexes are never reused, as Linux's ifindex. */
  private nextNicId = 1;
  private readonly localAddresses = new Map<string, Nic>();
  private readonly transports = new Map<number, TransportProtocol>();
  private readonly icmpListeners = new Set<IcmpListener>();
  private readonly timers = new Set<Timer>();
  private readonly backlog: (() => void)[] = [];
  private backlogHead = 0;
  private notifyQueue = new Set<Notifiable>();
  private depth = 0;
  /** Inside call(): hold readiness callbacks until the caller has returned. */
  private inCall = false;
  private drainScheduled = false;
  private icmpTokens = ICMP_BURST;
  private icmpStamp = 0;
  private closed = false;

  constructor(opts: StackOptions) {
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    this.ipv4 = new Ipv4Layer(this);
    this.ipv6 = new Ipv6Layer(this);
    this.tcp = new TcpProtocol(this, opts.tcp);
    this.udp = new UdpProtocol(this);
    this.transports.set(this.tcp.protocol, this.tcp);
    this.transports.set(this.udp.protocol, this.udp);
  }

  // ---- configuration ------------------------------------------------------

  /** Sets net.ipv4.ip_local_port_range (inclusive); EINVAL unless 1 <= first <= last <= 65535. */
  setEphemeralPorts(first: number, last: number): void {
    if (!validPortRange(first, last)) throw new SysError(Errno.EINVAL);
    this.ephemeralPorts = { first, last };
  }

  /** Adds a NIC driving `link`; the stack starts receiving from it at once. */
  addNic(link: LinkEndpoint, name = `eth${this.nics.size}`): Nic {
    const nic = new Nic(this.nextNicId++, name, link);
    const failed = (_target: IpAddress, packets: Uint8Array[]) => {
      for (const p of packets) this.reportUnreachable(p.subarray(ETHERNET_HEADER_LEN));
    };
    nic.neighbors4 = new NeighborCache({
      now: () => this.clock.now(),
      setTimer: (ms, cb) => this.setTimer(ms, cb),
      solicit: (t) => this.ipv4.solicit(nic, t),
      transmit: (mac, frame) => nic.transmitFrame(mac, frame),
      failed,
    });
    nic.neighbors6 = new NeighborCache({
      now: () => this.clock.now(),
      setTimer: (ms, cb) => this.setTimer(ms, cb),
      solicit: (t) => this.ipv6.solicit(nic, t),
      transmit: (mac, frame) => nic.transmitFrame(mac, frame),
      failed,
    });
    this.nics.set(nic.id, nic);
    link.attach((frame, checksumVerified) => this.onFrame(nic, frame, checksumVerified === true));
    return nic;
  }

  /** Adds a loopback NIC named "lo" with 127.0.0.1/8 and ::1/128, as Linux brings up. */
  addLoopback(): Nic {
    const lo = this.addNic(new LoopbackEndpoint(), 'lo');
    this.addAddress(lo, '127.0.0.1/8');
    this.addAddress(lo, '::1/128');
    return lo;
  }

  /**
   * Removes a NIC (a TUN/TAP device closed, `ip link del`): its addresses and
   * every route through it go, packets waiting for its neighbours are dropped,
   * and its link is closed. Sockets bound to its addresses keep them, as on Linux.
   */
  removeNic(nic: Nic): void {
    if (this.nics.get(nic.id) !== nic) return;
    for (const a of nic.addresses) if (this.localAddresses.get(a.address.key) === nic) this.localAddresses.delete(a.address.key);
    nic.addresses.length = 0;
    this.routes.remove((e) => e.nicId === nic.id);
    nic.neighbors4.clear();
    nic.neighbors6.clear();
    nic.up = false;
    this.nics.delete(nic.id);
    nic.link.close();
  }

  /** All NICs, in creation order. */
  listNics(): Nic[] {
    return [...this.nics.values()];
  }

  /** Assigns `cidr` (e.g. "10.0.0.2/24", "fd00::2/64") to a NIC and adds its on-link route. */
  addAddress(nic: Nic, cidr: string): void {
    const { address, prefixLen } = parseCidr(cidr);
    if (this.localAddresses.has(address.key)) throw new SysError(Errno.EEXIST, `${address} already assigned`);
    nic.addresses.push({ address, prefixLen });
    this.localAddresses.set(address.key, nic);
    this.routes.add({ destination: address, prefixLen, nicId: nic.id });
  }

  /** The NIC with interface index `id`, or null. */
  nicById(id: number): Nic | null {
    return this.nics.get(id) ?? null;
  }

  /**
   * Brings a NIC up or down (ip link set DEV up/down): while down it drops
   * what it receives and sends, and routes through it fail with ENETUNREACH.
   */
  setNicUp(nic: Nic, up: boolean): void {
    nic.up = up;
  }

  /** Removes `cidr` from a NIC with the on-link route addAddress made; EADDRNOTAVAIL if the NIC does not hold it. */
  removeAddress(nic: Nic, cidr: string): void {
    const { address, prefixLen } = parseCidr(cidr);
    const at = nic.addresses.findIndex((a) => a.address.key === address.key && a.prefixLen === prefixLen);
    if (at < 0) throw new SysError(Errno.EADDRNOTAVAIL, `${cidr} is not on ${nic.name}`);
    nic.addresses.splice(at, 1);
    this.localAddresses.delete(address.key);
    this.routes.remove((e) => e.nicId === nic.id && !e.gateway && e.prefixLen === prefixLen && e.destination.key === address.key);
  }

  /** Removes the routes to `cidr` through `nic` (and `gateway`, if given); ESRCH if there was none. */
  removeRoute(cidr: string, nic: Nic, gateway?: string): void {
    const { address, prefixLen } = parseCidr(cidr);
    const gw = gateway ? IpAddress.parse(gateway).key : undefined;
    const match = (e: RouteEntry) =>
      e.nicId === nic.id &&
      e.prefixLen === prefixLen &&
      e.destination.inPrefix(address, prefixLen) &&
      address.inPrefix(e.destination, prefixLen) &&
      (gw === undefined || e.gateway?.key === gw);
    if (!this.routes.list().some(match)) throw new SysError(Errno.ESRCH, `no route to ${cidr} via ${nic.name}`);
    this.routes.remove(match);
  }

  /** Adds a route, e.g. addRoute("0.0.0.0/0", nic, "10.0.0.1"). */
  addRoute(cidr: string, nic: Nic, gateway?: string): void {
    const { address, prefixLen } = parseCidr(cidr);
    this.routes.add({ destination: address, prefixLen, nicId: nic.id, gateway: gateway ? IpAddress.parse(gateway) : undefined });
  }

  /** Adds a permanent neighbour entry. */
  addNeighbor(nic: Nic, ip: string, mac: Uint8Array): void {
    const addr = IpAddress.parse(ip);
    (addr.version === 4 ? nic.neighbors4 : nic.neighbors6).addStatic(addr, mac);
  }

  /** The NIC holding `ip`, if it is one of this host's addresses. */
  isLocalAddress(ip: IpAddress): Nic | null {
    return this.localAddresses.get(ip.key) ?? this.loopbackCover(ip)?.nic ?? null;
  }

  /** Registered transport for an IP protocol number. */
  transport(protocol: number): TransportProtocol | undefined {
    return this.transports.get(protocol);
  }

  /** Subscribes to received ICMP messages; returns the unsubscribe function. */
  onIcmp(listener: IcmpListener): () => void {
    this.icmpListeners.add(listener);
    return () => this.icmpListeners.delete(listener);
  }

  /** Stops all timers, closes every link and drops pending work. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const nic of this.nics.values()) {
      nic.neighbors4.clear();
      nic.neighbors6.clear();
      nic.link.close();
    }
    this.backlog.length = 0;
    this.backlogHead = 0;
  }

  // ---- routing and output -------------------------------------------------

  /**
   * Chooses NIC, source address and next hop for `dst`. `src`, if given, is
   * used as the source (it must be local); `viaNic` pins the interface
   * (SO_BINDTODEVICE, link-local and multicast destinations).
   * Throws ENETUNREACH if there is no route and EADDRNOTAVAIL if the NIC has
   * no usable source address.
   */
  findRoute(dst: IpAddress, src: IpAddress | null = null, viaNic?: Nic): Route {
    const version = dst.version;
    const localNic = this.localAddresses.get(dst.key);
    const cover = localNic || viaNic ? null : this.loopbackCover(dst);
    // Linux still routes ::1 to lo without the address (ip6 keeps its loopback route): no source, EADDRNOTAVAIL.
    const v6Loopback = version === 6 && dst.isLoopback && !viaNic;
    if (localNic || cover || v6Loopback) {
      const lo = this.loopbackNic();
      const nic = lo ?? localNic;
      // Linux keeps local routes while lo is down: what is sent there is dropped, not refused.
      if (!nic) throw new SysError(Errno.ENETUNREACH);
      // The prefix's local route has the covering address as its preferred source.
      const from = src ?? (localNic ? dst : (cover?.address ?? nic.primaryAddress(version)));
      if (!from) throw new SysError(Errno.EADDRNOTAVAIL);
      // Without a loopback NIC, packets to our own addresses are delivered internally.
      return { nic, src: from, dst, nextHop: dst, local: !lo, broadcast: false, mtu: lo ? lo.mtu : 65535 };
    }
    if (dst.isMulticast || dst.isLimitedBroadcast) {
      const nic = viaNic ?? this.nicForRoute(this.routes.lookup(dst)) ?? this.firstNicWith(version, src);
      if (!nic?.up) throw new SysError(Errno.ENETUNREACH);
      const from = src ?? nic.primaryAddress(version);
      if (!from) throw new SysError(Errno.EADDRNOTAVAIL);
      return { nic, src: from, dst, nextHop: dst, local: false, broadcast: true, mtu: nic.mtu };
    }
    const entry = this.routes.lookup(dst, viaNic?.id);
    const nic = this.nicForRoute(entry) ?? (viaNic && version === 6 ? viaNic : null);
    if (!nic?.up) throw new SysError(Errno.ENETUNREACH);
    const nextHop = entry?.gateway ?? dst;
    const from = src ?? nic.primaryAddress(version, nextHop);
    if (!from) throw new SysError(Errno.EADDRNOTAVAIL);
    const broadcast =
      version === 4 && nic.addresses.some((a) => a.address.version === 4 && a.prefixLen < 31 && a.address.subnetBroadcast(a.prefixLen).key === dst.key);
    return { nic, src: from, dst, nextHop, local: false, broadcast, mtu: nic.mtu };
  }

  /** Sends a transport packet along a route through the right network layer. */
  sendIp(route: Route, protocol: number, pkt: OutPacket, ttl?: number, tos?: number): void {
    if (route.dst.version === 4) this.ipv4.send(route, protocol, pkt, ttl, tos);
    else this.ipv6.send(route, protocol, pkt, ttl, tos);
  }

  /**
   * @internal Hands a finished network packet (at `off` in `buf`, with
   * Ethernet headroom before it) to the NIC, or loops it back internally.
   */
  transmit(route: Route, buf: Uint8Array, off: number, etherType: number): void {
    if (this.closed) return;
    if (route.local) {
      const pkt = buf.subarray(off);
      this.defer(() => this.receiveNetwork(route.nic, etherType, pkt));
      return;
    }
    route.nic.sendPacket(buf, off, etherType, route.nextHop, route.broadcast);
  }

  // ---- scheduling ---------------------------------------------------------

  /**
   * Runs `fn` as a unit of work: anything it triggers that would re-enter the
   * stack (looped-back frames, socket readiness callbacks) runs after it,
   * before run() returns. Nested calls just run `fn`.
   */
  run<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.depth = 1;
    try {
      return fn();
    } finally {
      try {
        this.drain();
      } finally {
        this.depth = 0;
      }
    }
  }

  /**
   * Runs an application-facing operation (a socket call) as a unit of work.
   * Unlike run(), readiness callbacks it triggers are not delivered before it
   * returns: they are deferred to the next clock turn, so a subscriber never
   * runs inside the caller's own send()/recv().
   */
  call<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.inCall = true;
    try {
      return this.run(fn);
    } finally {
      this.inCall = false;
      if (this.notifyQueue.size > 0) this.scheduleDrain();
    }
  }

  /** Sets a timer whose callback runs as a unit of work; cancelled by close(). */
  setTimer(ms: number, cb: () => void): Timer {
    if (this.closed) return { cancel: () => {} };
    const t = this.clock.setTimer(ms, () => {
      this.timers.delete(handle);
      this.run(cb);
    });
    const handle: Timer = {
      cancel: () => {
        this.timers.delete(handle);
        t.cancel();
      },
    };
    this.timers.add(handle);
    return handle;
  }

  /** Queues readiness callbacks of `target` to run at the end of the current unit of work. */
  notify(target: Notifiable): void {
    this.notifyQueue.add(target);
    if (this.depth === 0) this.run(() => {});
  }

  /** Queues `job` to run after the current unit of work. */
  defer(job: () => void): void {
    this.backlog.push(job);
    if (this.depth === 0) this.scheduleDrain();
  }

  /** Token bucket for outgoing ICMP errors; true if one may be sent now. */
  icmpRateLimit(): boolean {
    const now = this.clock.now();
    this.icmpTokens = Math.min(ICMP_BURST, this.icmpTokens + (now - this.icmpStamp) * ICMP_RATE_PER_MS);
    this.icmpStamp = now;
    if (this.icmpTokens < 1) return false;
    this.icmpTokens -= 1;
    return true;
  }

  /** @internal Called by the network layers for every valid ICMP message. */
  observeIcmp(version: 4 | 6, info: PacketInfo, msg: Icmpv4Repr | Icmpv6Repr): void {
    for (const l of this.icmpListeners) l(version, info, msg);
  }

  // ---- input --------------------------------------------------------------

  private onFrame(nic: Nic, frame: Uint8Array, checksumVerified: boolean): void {
    if (this.closed || !nic.up) return;
    nic.byteCounters.rxBytes += frame.length;
    if (this.depth > 0) {
      this.backlog.push(() => this.processFrame(nic, frame, checksumVerified));
      return;
    }
    this.run(() => this.processFrame(nic, frame, checksumVerified));
  }

  private processFrame(nic: Nic, frame: Uint8Array, checksumVerified: boolean): void {
    nic.counters.rxFrames++;
    if (frame.length < ETHERNET_HEADER_LEN || !nic.acceptsMac(frame.subarray(0, 6))) {
      nic.counters.rxDropped++;
      return;
    }
    this.receiveNetwork(nic, get16(frame, 12), frame.subarray(ETHERNET_HEADER_LEN), checksumVerified);
  }

  private receiveNetwork(nic: Nic, etherType: number, pkt: Uint8Array, checksumVerified = false): void {
    switch (etherType) {
      case EtherType.IPV4:
        this.ipv4.receive(nic, pkt, false, checksumVerified);
        break;
      case EtherType.IPV6:
        this.ipv6.receive(nic, pkt, checksumVerified);
        break;
      case EtherType.ARP:
        this.ipv4.receiveArp(nic, pkt);
        break;
      default:
        nic.counters.rxDropped++;
    }
  }

  private drain(): void {
    let budget = DRAIN_BUDGET;
    for (;;) {
      if (this.backlogHead < this.backlog.length) {
        if (budget-- <= 0) {
          this.scheduleDrain();
        } else {
          const job = this.backlog[this.backlogHead];
          this.backlog[this.backlogHead++] = undefined as unknown as () => void;
          if (this.backlogHead === this.backlog.length) {
            this.backlog.length = 0;
            this.backlogHead = 0;
          }
          job();
          continue;
        }
      }
      if (this.notifyQueue.size > 0 && !this.inCall) {
        const targets = this.notifyQueue;
        this.notifyQueue = new Set();
        for (const t of targets) t.flushEvents();
        continue;
      }
      return;
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    this.clock.setTimer(0, () => {
      this.drainScheduled = false;
      if (!this.closed) this.run(() => {});
    });
  }

  // ---- helpers ------------------------------------------------------------

  /**
   * The address on lo whose prefix covers `ip`, if any. Linux makes the whole
   * prefix of an address on a loopback device a local route (fib_add_ifaddr),
   * so with 127.0.0.1/8 every 127.x address is this host's, with
   * 192.0.2.1/24 every 192.0.2.x; deleting the address takes the route away
   * (connect(2) then says ENETUNREACH). IPv4 only: IPv6 makes a local route
   * for each address alone, so binding another address of a v6 prefix on lo
   * is EADDRNOTAVAIL.
   */
  private loopbackCover(ip: IpAddress): { nic: Nic; address: IpAddress } | null {
    if (ip.version !== 4) return null;
    const lo = this.loopbackNic();
    // The prefix's broadcast address has a broadcast route of its own, more specific than the local one.
    const a = lo?.addresses.find(
      (e) => ip.inPrefix(e.address, e.prefixLen) && !(ip.version === 4 && e.prefixLen < 31 && e.address.subnetBroadcast(e.prefixLen).key === ip.key),
    );
    return lo && a ? { nic: lo, address: a.address } : null;
  }

  private loopbackNic(): Nic | null {
    for (const nic of this.nics.values()) if (nic.isLoopback) return nic;
    return null;
  }

  private nicForRoute(entry: { nicId: number } | null): Nic | null {
    return entry ? (this.nics.get(entry.nicId) ?? null) : null;
  }

  private firstNicWith(version: 4 | 6, src: IpAddress | null): Nic | null {
    if (src) return this.localAddresses.get(src.key) ?? null;
    for (const nic of this.nics.values()) if (!nic.isLoopback && nic.primaryAddress(version)) return nic;
    return null;
  }

  /** Tells the transport that a packet we sent could not be delivered (neighbour resolution failed). */
  private reportUnreachable(pkt: Uint8Array): void {
    const version = pkt[0] >> 4;
    if (version === 4) {
      const v = new Ipv4View(pkt);
      this.transports.get(v.protocol)?.receiveError({
        errno: Errno.EHOSTUNREACH,
        fatal: true,
        mtu: 0,
        src: v.src,
        dst: v.dst,
        transportHeader: pkt.subarray(v.headerLength),
      });
    } else if (version === 6) {
      const v = new Ipv6View(pkt);
      this.transports.get(v.nextHeader)?.receiveError({
        errno: Errno.EHOSTUNREACH,
        fatal: true,
        mtu: 0,
        src: v.src,
        dst: v.dst,
        transportHeader: pkt.subarray(IPV6_HEADER_LEN),
      });
    }
  }
}

/** Parses "addr/len" (the length defaults to the full address). */
export function parseCidr(cidr: string): { address: IpAddress; prefixLen: number } {
  const [a, l] = cidr.split('/');
  const address = IpAddress.parse(a);
  const max = address.version === 4 ? 32 : 128;
  const prefixLen = l === undefined ? max : Number(l);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > max) throw new SysError(Errno.EINVAL, `bad prefix in '${cidr}'`);
  return { address, prefixLen };
}

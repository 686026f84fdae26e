// TCP's attachment to the stack: demultiplexing segments to connections and
// listeners, answering strays with RST, routing ICMP errors, owning the port
// table and generating initial sequence numbers.

import { IPPROTO } from '../abi.js';
import type { IpAddress } from '../wire/address.js';
import { get16 } from '../wire/bytes.js';
import { emitTcp, parseTcp, TcpFlag, TCP_MIN_HEADER_LEN, type TcpRepr } from '../wire/tcp.js';
import { allocPacket } from '../stack/packet.js';
import { PortTable, type PortBinding } from '../stack/ports.js';
import type { Stack } from '../stack/stack.js';
import type { NetworkError, PacketInfo, TransportProtocol } from '../stack/types.js';
import { DEFAULT_TCP_CONFIG, type TcpConfig } from './config.js';
import { TcpEndpoint } from './endpoint.js';
import { TcpState } from './state.js';

/** Linux stamps TIME_WAIT in whole seconds (ktime_get_seconds): reuse waits for the next one. */
const TIME_WAIT_STAMP_MS = 1000;

function connectionKey(local: IpAddress, lport: number, remote: IpAddress, rport: number): string {
  return `${local.key}|${lport}|${remote.key}|${rport}`;
}

/** A small string hash (FNV-1a) used for ISNs and SO_REUSEPORT selection. */
function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class TcpProtocol implements TransportProtocol {
  readonly protocol = IPPROTO.TCP;
  readonly config: TcpConfig;
  readonly ports: PortTable;
  private readonly connections = new Map<string, TcpEndpoint>();
  private readonly listeners = new Map<number, TcpEndpoint[]>();
  private readonly secret: number;

  constructor(
    private readonly stack: Stack,
    config: Partial<TcpConfig> = {},
  ) {
    this.config = { ...DEFAULT_TCP_CONFIG, ...config };
    this.ports = new PortTable(false, stack.random, () => stack.ephemeralPorts);
    this.secret = Math.floor(stack.random() * 0x100000000);
  }

  /** A fresh, unbound endpoint. */
  createEndpoint(): TcpEndpoint {
    return new TcpEndpoint(this.stack, this, this.config);
  }

  /** Number of connections in the demux table (all states but LISTEN/CLOSE). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections currently in a given state (diagnostics and tests). */
  endpointsInState(state: number): TcpEndpoint[] {
    return [...this.connections.values()].filter((e) => e.state === state);
  }

  /** Whether the 4-tuple is already in use. */
  tupleInUse(local: IpAddress, lport: number, remote: IpAddress, rport: number): boolean {
    return this.connections.has(connectionKey(local, lport, remote, rport));
  }

  /**
   * Whether a new connection may take the 4-tuple: nobody holds it, or a
   * loopback connection holds it in TIME_WAIT since an earlier second, and is
   * then ended (Linux's default net.ipv4.tcp_tw_reuse=2 in tcp_twsk_unique,
   * which compares the seconds of the last timestamp seen).
   */
  tupleFreeForConnect(local: IpAddress, lport: number, remote: IpAddress, rport: number): boolean {
    const held = this.connections.get(connectionKey(local, lport, remote, rport));
    if (!held) return true;
    if (held.state !== TcpState.TIME_WAIT || !(remote.isLoopback || local.isLoopback)) return false;
    if (Math.floor(this.stack.clock.now() / TIME_WAIT_STAMP_MS) <= Math.floor(held.timeWaitSince / TIME_WAIT_STAMP_MS)) return false;
    held.destroy(0);
    return true;
  }

  /** RFC 6528 initial sequence number: a 4-microsecond clock plus a keyed hash of the 4-tuple. */
  initialSequence(local: IpAddress, lport: number, remote: IpAddress, rport: number): number {
    const m = Math.floor(this.stack.clock.now() * 250);
    return (m + hash(connectionKey(local, lport, remote, rport), this.secret)) >>> 0;
  }

  /** @internal Adds a connected endpoint to the demux table. */
  register(ep: TcpEndpoint): void {
    const key = connectionKey(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort);
    ep.connKey = key;
    this.connections.set(key, ep);
  }

  /** @internal Adds a listener. */
  addListener(ep: TcpEndpoint): void {
    let list = this.listeners.get(ep.localPort);
    if (!list) this.listeners.set(ep.localPort, (list = []));
    if (!list.includes(ep)) list.push(ep);
  }

  /** @internal Removes an endpoint from every table and releases its port. */
  unregister(ep: TcpEndpoint, wasListening: boolean): void {
    if (ep.connKey && this.connections.get(ep.connKey) === ep) this.connections.delete(ep.connKey);
    ep.connKey = null;
    if (wasListening) {
      const list = this.listeners.get(ep.localPort);
      if (list) {
        const i = list.indexOf(ep);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.listeners.delete(ep.localPort);
      }
    }
    if (ep.binding) {
      this.ports.release(ep.binding);
      ep.binding = null;
    }
  }

  /** @internal The port reservation an accepted connection shares with its listener. */
  childBinding(listener: TcpEndpoint, child: TcpEndpoint): PortBinding | null {
    const lb = listener.binding;
    if (!lb) return null;
    const b: PortBinding = {
      addr: child.localAddr,
      port: lb.port,
      v6only: lb.v6only,
      reuseAddr: lb.reuseAddr,
      reusePort: lb.reusePort,
      isListening: () => false,
    };
    this.ports.adopt(b);
    return b;
  }

  /**
   * The listener for a SYN to dst:port: exact address before wildcard, same
   * family before dual-stack IPv6, and a stable hash among SO_REUSEPORT peers.
   */
  findListener(dst: IpAddress, port: number, src: IpAddress, srcPort: number): TcpEndpoint | null {
    const list = this.listeners.get(port);
    if (!list || list.length === 0) return null;
    let best: TcpEndpoint[] = [];
    let bestScore = 0;
    for (const l of list) {
      if (l.state !== TcpState.LISTEN) continue;
      let score = 0;
      const fam = l.localAddr.version;
      if (l.localAddr.key === dst.key) score = 4;
      else if (l.localAddr.isUnspecified && fam === dst.version) score = 2;
      else if (l.localAddr.isUnspecified && fam === 6 && dst.version === 4 && !(l.binding?.v6only ?? false)) score = 1;
      if (score === 0) continue;
      if (score > bestScore) {
        best = [l];
        bestScore = score;
      } else if (score === bestScore) best.push(l);
    }
    if (best.length === 0) return null;
    if (best.length === 1) return best[0];
    return best[hash(`${src.key}|${srcPort}`, this.secret) % best.length];
  }

  receive(info: PacketInfo, payload: Uint8Array): void {
    if (info.broadcast) return; // TCP is unicast only
    const seg = parseTcp(payload, info.src, info.dst, !(info.checksumVerified ?? info.nic.link.capabilities.checksumOffload));
    if (!seg) return;
    const ep = this.connections.get(connectionKey(info.dst, seg.dstPort, info.src, seg.srcPort));
    if (ep) {
      if (passesFilter(ep, payload, seg)) ep.handleSegment(seg, info);
      return;
    }
    const listener = this.findListener(info.dst, seg.dstPort, info.src, seg.srcPort);
    if (listener) {
      if (passesFilter(listener, payload, seg)) listener.handleListen(seg, info);
      return;
    }
    this.sendReset(info, seg);
  }

  receiveError(err: NetworkError): void {
    if (err.transportHeader.length < 8) return;
    const sport = get16(err.transportHeader, 0);
    const dport = get16(err.transportHeader, 2);
    this.connections.get(connectionKey(err.src, sport, err.dst, dport))?.handleError(err.errno, err.fatal);
  }

  /** Answers a segment that matches no connection with RST (RFC 9293 3.10.7.1). */
  sendReset(info: PacketInfo, seg: TcpRepr): void {
    if (seg.flags & TcpFlag.RST) return;
    let route;
    try {
      route = this.stack.findRoute(info.src, info.dst);
    } catch {
      return;
    }
    const segLen = seg.payload.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0);
    const repr: TcpRepr =
      seg.flags & TcpFlag.ACK
        ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: TcpFlag.RST, window: 0, urgent: 0, payload: new Uint8Array(0) }
        : {
            srcPort: seg.dstPort,
            dstPort: seg.srcPort,
            seq: 0,
            ack: (seg.seq + segLen) >>> 0,
            flags: TcpFlag.RST | TcpFlag.ACK,
            window: 0,
            urgent: 0,
            payload: new Uint8Array(0),
          };
    const pkt = allocPacket(TCP_MIN_HEADER_LEN);
    emitTcp(repr, pkt.buf, pkt.off, route.src, route.dst, !route.nic.link.capabilities.checksumOffload);
    this.stack.sendIp(route, IPPROTO.TCP, pkt);
  }
}

/**
 * Runs the socket's receive filter over a segment (TCP header and data), as
 * Linux's tcp_filter: a 0 verdict drops it; a shorter one trims its data,
 * never its header.
 */
function passesFilter(ep: TcpEndpoint, raw: Uint8Array, seg: TcpRepr): boolean {
  if (!ep.receiveFilter) return true;
  const keep = ep.receiveFilter(raw);
  if (keep === 0) return false;
  const headerLen = raw.length - seg.payload.length;
  if (keep < raw.length) seg.payload = seg.payload.subarray(0, Math.max(0, keep - headerLen));
  return true;
}

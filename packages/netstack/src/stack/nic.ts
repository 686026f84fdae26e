// A network interface: a link endpoint plus addresses and neighbour caches.
// It frames outbound network packets in Ethernet and hands inbound frames to
// the stack.

import { BROADCAST_MAC, macEquals, multicastMac, type IpAddress, type MacAddress } from '../wire/address.js';
import { ETHERNET_HEADER_LEN, EtherType, EthernetView } from '../wire/ethernet.js';
import type { LinkEndpoint } from '../link/endpoint.js';
import { NeighborCache } from './neighbor.js';

/** An address assigned to a NIC. */
export interface InterfaceAddress {
  address: IpAddress;
  prefixLen: number;
}

export class Nic {
  readonly addresses: InterfaceAddress[] = [];
  /** IPv4 (ARP) and IPv6 (NDP) neighbour caches; set up by the stack. */
  neighbors4!: NeighborCache;
  neighbors6!: NeighborCache;
  /** Frames received / sent, for diagnostics. */
  readonly counters = { rxFrames: 0, txFrames: 0, rxDropped: 0 };
  /** Bytes in the frames counted above (for /proc/net/dev and link statistics). */
  readonly byteCounters = { rxBytes: 0, txBytes: 0 };
  /**
   * Administrative state (IFF_UP): a NIC that is down neither sends nor
   * receives, and routes through it do not resolve. Set through Stack.setNicUp.
   */
  up = true;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly link: LinkEndpoint,
  ) {}

  get mtu(): number {
    return this.link.mtu;
  }

  get mac(): MacAddress {
    return this.link.macAddress;
  }

  get isLoopback(): boolean {
    return this.link.capabilities.loopback === true;
  }

  /** Whether frames go out without neighbour resolution (loopback, IP-only links). */
  private get pointToPoint(): boolean {
    return !this.link.capabilities.resolutionRequired;
  }

  /** Whether the link carries bare IP packets (a TUN): no link-layer addresses and no neighbour resolution, yet not lo. */
  get isIpOnly(): boolean {
    return this.pointToPoint && !this.isLoopback;
  }

  /** First address of a version, preferring one on the same subnet as `near`. */
  primaryAddress(version: 4 | 6, near?: IpAddress): IpAddress | null {
    let first: IpAddress | null = null;
    for (const a of this.addresses) {
      if (a.address.version !== version) continue;
      if (near && near.inPrefix(a.address, a.prefixLen)) return a.address;
      // Prefer global over link-local IPv6 addresses as a default source.
      if (!first || (version === 6 && first.bytes[0] === 0xfe && (first.bytes[1] & 0xc0) === 0x80)) first = a.address;
    }
    return first;
  }

  hasAddress(ip: IpAddress): boolean {
    return this.addresses.some((a) => a.address.key === ip.key);
  }

  /** Whether a frame with this destination MAC is for us. */
  acceptsMac(dst: MacAddress): boolean {
    return this.pointToPoint || macEquals(dst, this.mac) || (dst[0] & 1) === 1; // unicast to us, broadcast or multicast
  }

  /**
   * Sends a network packet (whose bytes start at `off` in `buf`, with at
   * least 14 bytes of headroom before it) to `nextHop`.
   */
  sendPacket(buf: Uint8Array, off: number, etherType: number, nextHop: IpAddress, broadcast: boolean): void {
    const packet = buf.subarray(off - ETHERNET_HEADER_LEN);
    if (this.pointToPoint) {
      this.transmitFrame(this.mac, packet, etherType);
      return;
    }
    if (broadcast) {
      const mac = nextHop.isMulticast ? multicastMac(nextHop) : BROADCAST_MAC;
      this.transmitFrame(mac, packet, etherType);
      return;
    }
    const cache = nextHop.version === 4 ? this.neighbors4 : this.neighbors6;
    cache.send(nextHop, packet);
  }

  /** Fills in the Ethernet header of `frame` (whose first 14 bytes are reserved) and transmits it. */
  transmitFrame(dst: MacAddress, frame: Uint8Array, etherType?: number): void {
    const eth = new EthernetView(frame);
    eth.dst = dst;
    eth.src = this.mac;
    if (etherType !== undefined) eth.etherType = etherType;
    else eth.etherType = frame[ETHERNET_HEADER_LEN] >> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4;
    if (!this.up) return;
    this.counters.txFrames++;
    this.byteCounters.txBytes += frame.length;
    this.link.send(frame);
  }
}

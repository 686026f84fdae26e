// Types shared between the network layer and the transport protocols.

import type { IpAddress } from '../wire/address.js';
import type { Nic } from './nic.js';

/** Where a transport packet came from and how it was addressed. */
export interface PacketInfo {
  nic: Nic;
  src: IpAddress;
  dst: IpAddress;
  /** Addressed to a broadcast or multicast address rather than to one of ours. */
  broadcast: boolean;
  /** TTL / hop limit as received. */
  ttl: number;
  /** The whole network-layer packet (for quoting in ICMP errors). */
  networkPacket: Uint8Array;
  /** The transport checksum needs no check: the link vouches for it (loopback, or a frame the host kernel made or verified). */
  checksumVerified?: boolean;
}

/** An ICMP error (or local delivery failure) about a packet this host sent. */
export interface NetworkError {
  /** The errno a socket should report (ECONNREFUSED for port unreachable, ...). */
  errno: number;
  /**
   * Whether the error is "hard" for a connected socket per RFC 1122 4.2.3.9
   * and Linux's icmp_err_convert: port/protocol unreachable and most
   * destination-unreachable codes are; TTL exceeded and frag-needed are not.
   */
  fatal: boolean;
  /** Next-hop MTU for "fragmentation needed" / "packet too big", else 0. */
  mtu: number;
  /** Original source (ours) and destination of the offending packet. */
  src: IpAddress;
  dst: IpAddress;
  /** The offending packet's transport header bytes (at least 8 bytes). */
  transportHeader: Uint8Array;
}

/** A transport protocol attached to the stack (TCP, UDP). */
export interface TransportProtocol {
  /** IANA protocol number. */
  readonly protocol: number;
  /** Handles a payload addressed to this host; the transport answers unclaimed packets itself (RST, ICMP unreachable). */
  receive(info: PacketInfo, payload: Uint8Array): void;
  /** Delivers an ICMP error (or local resolution failure) about a packet we sent. */
  receiveError(err: NetworkError): void;
}

/** A resolved path to a destination. */
export interface Route {
  readonly nic: Nic;
  /** Source address to use. */
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** Where the link-layer frame goes (the destination itself or a gateway). */
  readonly nextHop: IpAddress;
  /** Destination is one of this host's own addresses. */
  readonly local: boolean;
  /** Destination is a broadcast (IPv4) or multicast address. */
  readonly broadcast: boolean;
  /** Largest network-layer packet the path carries. */
  readonly mtu: number;
}

/**
 * A receive filter (a socket filter program the kernel runs, SO_ATTACH_FILTER):
 * given an arriving packet from its transport header on, the number of its
 * bytes to keep; 0 drops it.
 */
export type ReceiveFilter = (packet: Uint8Array) => number;

/**
 * IP header values one datagram asks for through sendmsg's control messages
 * (ip(7) IP_TTL and IP_TOS for IPv4 routes, ipv6(7) IPV6_HOPLIMIT and
 * IPV6_TCLASS for IPv6 ones); absent: the socket's own setting.
 */
export interface SendOptions {
  ttl?: number;
  tos?: number;
  hopLimit?: number;
  tclass?: number;
}

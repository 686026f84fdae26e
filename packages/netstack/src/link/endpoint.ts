// The seam between the stack and whatever moves frames: a TAP device, an
// in-memory wire, loopback. Every link carries Ethernet II frames (an IP-only
// link such as a TUN device adds and strips the header itself).

import type { MacAddress } from '../wire/address.js';

/** What a link can do for the stack. */
export interface LinkCapabilities {
  /** Next-hop MAC addresses must be resolved (ARP/NDP); false for loopback and IP-only links. */
  readonly resolutionRequired: boolean;
  /** The link is the host's loopback (lo): what it sends comes back, and 127.0.0.0/8 lives on it. */
  readonly loopback?: boolean;
  /** The link never corrupts frames, so transport checksums need not be verified on input (Linux loopback behaviour). */
  readonly checksumOffload: boolean;
  /**
   * The largest IP packet the link takes as one TCP segment and cuts into
   * MTU-sized ones itself, completing their checksums (GSO); absent: every
   * packet must fit the MTU. Such a packet is marked with its segment size
   * (gsoSizeOf) and carries only the pseudo-header sum as its checksum.
   */
  readonly gsoMaxSize?: number;
}

/** A network interface's driver side. */
export interface LinkEndpoint {
  /** Largest network-layer packet (bytes after the Ethernet header) the link carries. */
  readonly mtu: number;
  /** This endpoint's MAC address; all zeros for loopback. */
  readonly macAddress: MacAddress;
  readonly capabilities: LinkCapabilities;
  /**
   * Sets the function that receives inbound frames; called once, by the NIC
   * that owns the endpoint. The endpoint hands over ownership of each frame:
   * it must not reuse the buffer afterwards. `receive` may be invoked
   * synchronously from inside `send` (loopback); the stack copes with that.
   * `checksumVerified` says the frame's transport checksum needs no check
   * (the host kernel verified it, or made the frame and left the checksum
   * for an offload to finish, as a veth's GSO segments).
   */
  attach(receive: (frame: Uint8Array, checksumVerified?: boolean) => void): void;
  /**
   * Transmits one complete Ethernet frame, taking ownership of the buffer.
   * Never throws for transient conditions: a frame that cannot be sent is dropped,
   * as a real NIC would drop it.
   */
  send(frame: Uint8Array): void;
  /** Stops delivery in both directions and releases resources; idempotent. */
  close(): void;
  /**
   * Changes the endpoint's MAC address (`ip link set DEV address`), used as
   * the source of every later frame; absent when the link's address is fixed.
   */
  setMacAddress?(mac: MacAddress): void;
}

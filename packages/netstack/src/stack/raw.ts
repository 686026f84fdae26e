// Raw delivery: every inbound IP packet whose protocol a raw socket asked for
// is offered to that socket as a copy, before (and regardless of) the
// transport's own handling, as Linux's raw_local_deliver does.

import type { PacketInfo } from './types.js';

/** What a raw socket registers to see inbound packets of one IP version and protocol. */
export interface RawEndpoint {
  readonly version: 4 | 6;
  /** The IP protocol (next header) number it takes. */
  readonly protocol: number;
  /**
   * Offers one inbound packet: `transport` is what follows the network
   * header(s). Returns whether the endpoint matched it (bound address,
   * connected peer, device), whether or not it then queued or filtered it.
   */
  receive(info: PacketInfo, transport: Uint8Array): boolean;
}

/** The raw endpoints of one stack, by version and protocol. */
export class RawEndpoints {
  private readonly byKey = new Map<number, Set<RawEndpoint>>();

  add(ep: RawEndpoint): void {
    const key = ep.version * 256 + ep.protocol;
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(ep);
  }

  remove(ep: RawEndpoint): void {
    const key = ep.version * 256 + ep.protocol;
    const set = this.byKey.get(key);
    set?.delete(ep);
    if (set?.size === 0) this.byKey.delete(key);
  }

  /** Offers a packet to every endpoint of its version and protocol; true if any matched (then no "protocol unreachable" is due). */
  deliver(version: 4 | 6, protocol: number, info: PacketInfo, transport: Uint8Array): boolean {
    const set = this.byKey.get(version * 256 + protocol);
    if (!set) return false;
    let matched = false;
    for (const ep of [...set]) if (ep.receive(info, transport)) matched = true;
    return matched;
  }
}

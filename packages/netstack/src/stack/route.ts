// The routing table: longest-prefix match over (prefix, gateway, NIC).

import type { IpAddress } from '../wire/address.js';

export interface RouteEntry {
  destination: IpAddress;
  prefixLen: number;
  /** Gateway for off-link destinations; absent for on-link routes. */
  gateway?: IpAddress;
  nicId: number;
}

export class RouteTable {
  private entries: RouteEntry[] = [];

  add(e: RouteEntry): void {
    this.entries.push(e);
    // Longest prefix first, so lookup can stop at the first match.
    this.entries.sort((a, b) => b.prefixLen - a.prefixLen);
  }

  remove(pred: (e: RouteEntry) => boolean): void {
    this.entries = this.entries.filter((e) => !pred(e));
  }

  /** The most specific entry covering `dst`, optionally restricted to one NIC. */
  lookup(dst: IpAddress, nicId?: number): RouteEntry | null {
    for (const e of this.entries) {
      if (nicId !== undefined && e.nicId !== nicId) continue;
      if (dst.inPrefix(e.destination, e.prefixLen)) return e;
    }
    return null;
  }

  list(): readonly RouteEntry[] {
    return this.entries;
  }
}

// Neighbour resolution state shared by ARP (IPv4) and NDP (IPv6): a cache
// of IP -> MAC with a queue of packets waiting on each unresolved entry.
// Linux's defaults drive the numbers: 3 solicitations one second apart, a
// few queued packets per entry (unres_qlen), and reachable entries that go
// stale and are re-confirmed on use.

import type { IpAddress, MacAddress } from '../wire/address.js';
import type { Timer } from '../time/clock.js';

export const SOLICIT_RETRIES = 3;
export const SOLICIT_INTERVAL_MS = 1000;
/** After this long without confirmation an entry is re-solicited on next use (still used meanwhile). */
export const REACHABLE_TIME_MS = 30_000;
const MAX_QUEUED = 64;

interface Entry {
  mac: MacAddress | null;
  /** When the mapping was last confirmed. */
  confirmedAt: number;
  queue: Uint8Array[];
  attempts: number;
  timer: Timer | null;
}

/** Hooks a cache needs from its owner. */
export interface NeighborHooks {
  now(): number;
  setTimer(ms: number, cb: () => void): Timer;
  /** Sends one solicitation (ARP request / neighbour solicitation) for `target`. */
  solicit(target: IpAddress): void;
  /** Transmits a queued network packet now that its next hop's MAC is known. */
  transmit(mac: MacAddress, packet: Uint8Array): void;
  /** Called with the packets of an entry that failed to resolve. */
  failed(target: IpAddress, packets: Uint8Array[]): void;
}

export class NeighborCache {
  private entries = new Map<string, Entry>();

  constructor(private readonly hooks: NeighborHooks) {}

  /** The known MAC of `ip`, or null. */
  lookup(ip: IpAddress): MacAddress | null {
    return this.entries.get(ip.key)?.mac ?? null;
  }

  /**
   * Sends `packet` to `ip` once resolved: immediately if the mapping is
   * known, else queued while solicitations go out.
   */
  send(ip: IpAddress, packet: Uint8Array): void {
    let e = this.entries.get(ip.key);
    if (e?.mac) {
      this.hooks.transmit(e.mac, packet);
      // Stale: refresh in the background while still using the old mapping.
      if (this.hooks.now() - e.confirmedAt > REACHABLE_TIME_MS && !e.timer) this.startSolicit(ip, e);
      return;
    }
    if (!e) {
      e = { mac: null, confirmedAt: 0, queue: [], attempts: 0, timer: null };
      this.entries.set(ip.key, e);
    }
    if (e.queue.length >= MAX_QUEUED) e.queue.shift();
    e.queue.push(packet);
    if (!e.timer) this.startSolicit(ip, e);
  }

  /**
   * Records a mapping learnt from the wire. With `create` false (a packet that
   * merely mentions the sender), only existing entries are updated, per RFC 826.
   */
  update(ip: IpAddress, mac: MacAddress, create = true): void {
    let e = this.entries.get(ip.key);
    if (!e) {
      if (!create) return;
      e = { mac: null, confirmedAt: 0, queue: [], attempts: 0, timer: null };
      this.entries.set(ip.key, e);
    }
    e.mac = mac.slice();
    e.confirmedAt = this.hooks.now();
    e.attempts = 0;
    e.timer?.cancel();
    e.timer = null;
    const queued = e.queue;
    e.queue = [];
    for (const p of queued) this.hooks.transmit(e.mac, p);
  }

  /** Adds a permanent mapping. */
  addStatic(ip: IpAddress, mac: MacAddress): void {
    this.update(ip, mac);
    this.entries.get(ip.key)!.confirmedAt = Infinity;
  }

  /** The entries that have a link address, for listings (ip neigh, /proc/net/arp); `permanent` for addStatic ones. */
  list(): { ip: string; mac: MacAddress; permanent: boolean }[] {
    const out: { ip: string; mac: MacAddress; permanent: boolean }[] = [];
    for (const [ip, e] of this.entries) if (e.mac) out.push({ ip, mac: e.mac, permanent: e.confirmedAt === Infinity });
    return out;
  }

  /** Drops all state and pending timers. */
  clear(): void {
    for (const e of this.entries.values()) e.timer?.cancel();
    this.entries.clear();
  }

  private startSolicit(ip: IpAddress, e: Entry): void {
    e.attempts = 0;
    const tick = () => {
      if (e.attempts >= SOLICIT_RETRIES) {
        e.timer = null;
        if (e.mac) return; // a stale entry that stopped answering keeps its last mapping
        this.entries.delete(ip.key);
        if (e.queue.length > 0) this.hooks.failed(ip, e.queue);
        return;
      }
      e.attempts++;
      this.hooks.solicit(ip);
      e.timer = this.hooks.setTimer(SOLICIT_INTERVAL_MS, tick);
    };
    tick();
  }
}

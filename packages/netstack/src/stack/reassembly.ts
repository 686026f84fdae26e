// Fragment reassembly for IPv4 (RFC 791) and IPv6 (RFC 8200 4.5).
// Overlapping fragments discard the whole datagram, as Linux has done since
// 4.19; exact duplicates are ignored.

import type { Clock, Timer } from '../time/clock.js';

/** Linux's net.ipv4.ipfrag_time. */
export const REASSEMBLY_TIMEOUT_MS = 30_000;
const MAX_DATAGRAMS = 256;

interface Fragment {
  offset: number;
  data: Uint8Array;
}

interface Pending {
  fragments: Fragment[];
  /** Total payload length, known once the last fragment (MF=0) arrives. */
  total: number;
  /** The first fragment's header, reused for the reassembled datagram. */
  header: Uint8Array | null;
  timer: Timer;
}

export class FragmentReassembler {
  private pending = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  /**
   * Adds a fragment. `header` is the fragment's IP header bytes, `payload`
   * its data at byte `offset`. Returns the complete payload plus the first
   * fragment's header once every byte is present, else null.
   */
  add(key: string, header: Uint8Array, offset: number, more: boolean, payload: Uint8Array): { header: Uint8Array; payload: Uint8Array } | null {
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= MAX_DATAGRAMS) return null;
      const entry: Pending = {
        fragments: [],
        total: -1,
        header: null,
        timer: this.clock.setTimer(REASSEMBLY_TIMEOUT_MS, () => this.pending.delete(key)),
      };
      this.pending.set(key, entry);
      p = entry;
    }
    const end = offset + payload.length;
    if (!more) {
      if ((p.total >= 0 && p.total !== end) || p.fragments.some((f) => f.offset + f.data.length > end)) return this.drop(key, p);
      p.total = end;
    } else if ((payload.length & 7) !== 0 || (p.total >= 0 && end > p.total)) {
      return this.drop(key, p);
    }
    for (const f of p.fragments) {
      const fEnd = f.offset + f.data.length;
      if (f.offset === offset && fEnd === end) return null; // duplicate
      if (offset < fEnd && f.offset < end) return this.drop(key, p); // overlap
    }
    p.fragments.push({ offset, data: payload.slice() });
    if (offset === 0) p.header = header.slice();
    if (p.total < 0 || !p.header) return null;
    let have = 0;
    for (const f of p.fragments) have += f.data.length;
    if (have !== p.total) return null;
    const out = new Uint8Array(p.total);
    for (const f of p.fragments) out.set(f.data, f.offset);
    p.timer.cancel();
    this.pending.delete(key);
    return { header: p.header, payload: out };
  }

  /** Number of datagrams awaiting fragments. */
  get size(): number {
    return this.pending.size;
  }

  private drop(key: string, p: Pending): null {
    p.timer.cancel();
    this.pending.delete(key);
    return null;
  }
}

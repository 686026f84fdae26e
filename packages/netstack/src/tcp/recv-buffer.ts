// Received data: an in-order queue the application reads from, and the
// out-of-order segments held until the gap before them is filled. The
// out-of-order set also yields the SACK blocks (RFC 2018) to advertise.

import type { SackBlock } from '../wire/tcp.js';
import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq.js';

interface OutOfOrder {
  seq: number;
  data: Uint8Array;
}

export class ReceiveBuffer {
  private ready: Uint8Array[] = [];
  private readyHead = 0;
  /** Bytes readable in order. */
  readyBytes = 0;
  private ooo: OutOfOrder[] = [];
  /** Bytes held out of order (overlaps counted once per segment). */
  oooBytes = 0;
  /** Sequence number of the most recently queued out-of-order segment (first SACK block, RFC 2018 4). */
  private lastOoo = -1;

  /**
   * Accepts a segment already trimmed to the receive window, starting at
   * `seq` >= rcvNxt. Returns how far RCV.NXT advances (0 if it was queued
   * out of order).
   */
  insert(seq: number, data: Uint8Array, rcvNxt: number): number {
    if (data.length === 0) return 0;
    if (seq !== rcvNxt) {
      this.insertOutOfOrder(seq, data);
      return 0;
    }
    this.pushReady(data);
    let next = seqAdd(rcvNxt, data.length);
    // Pull now-contiguous out-of-order segments.
    while (this.ooo.length > 0 && seqLe(this.ooo[0].seq, next)) {
      const s = this.ooo.shift()!;
      this.oooBytes -= s.data.length;
      const skip = seqDiff(next, s.seq);
      if (skip < s.data.length) {
        this.pushReady(s.data.subarray(skip));
        next = seqAdd(next, s.data.length - skip);
      }
    }
    return seqDiff(next, rcvNxt);
  }

  /** Removes (or with `peek`, copies) up to `max` in-order bytes. */
  read(max: number, peek = false): Uint8Array {
    const n = Math.min(max, this.readyBytes);
    const out = new Uint8Array(n);
    let got = 0;
    let i = this.readyHead;
    while (got < n) {
      const c = this.ready[i];
      const take = Math.min(c.length, n - got);
      out.set(take === c.length ? c : c.subarray(0, take), got);
      got += take;
      if (!peek) {
        if (take === c.length) {
          this.ready[i] = undefined as unknown as Uint8Array;
          i++;
        } else {
          this.ready[i] = c.subarray(take);
        }
      } else {
        i++;
      }
    }
    if (!peek) {
      this.readyHead = i;
      this.readyBytes -= n;
      if (this.readyHead === this.ready.length) {
        this.ready = [];
        this.readyHead = 0;
      }
    }
    return out;
  }

  /** Up to `max` SACK blocks, the one holding the latest arrival first. */
  sackBlocks(max: number): SackBlock[] {
    if (this.ooo.length === 0 || max <= 0) return [];
    const merged: SackBlock[] = [];
    for (const s of this.ooo) {
      const end = seqAdd(s.seq, s.data.length);
      const last = merged[merged.length - 1];
      if (last && seqLe(s.seq, last.right)) {
        if (seqGt(end, last.right)) last.right = end;
      } else {
        merged.push({ left: s.seq, right: end });
      }
    }
    const firstIdx = merged.findIndex((b) => this.lastOoo >= 0 && seqLe(b.left, this.lastOoo) && seqLt(this.lastOoo, b.right));
    const out: SackBlock[] = [];
    if (firstIdx >= 0) out.push(merged[firstIdx]);
    for (let i = merged.length - 1; i >= 0 && out.length < max; i--) if (i !== firstIdx) out.push(merged[i]);
    return out.slice(0, max);
  }

  /** Drops everything (connection reset/closed). */
  clear(): void {
    this.ready = [];
    this.readyHead = 0;
    this.readyBytes = 0;
    this.ooo = [];
    this.oooBytes = 0;
  }

  private pushReady(data: Uint8Array): void {
    this.ready.push(data);
    this.readyBytes += data.length;
  }

  private insertOutOfOrder(seq: number, data: Uint8Array): void {
    const end = seqAdd(seq, data.length);
    let i = 0;
    while (i < this.ooo.length && seqLt(this.ooo[i].seq, seq)) i++;
    // Already fully covered by a neighbour? (Duplicates are common on lossy links.)
    const prev = this.ooo[i - 1];
    if (prev && seqLe(end, seqAdd(prev.seq, prev.data.length))) return;
    const next = this.ooo[i];
    if (next && next.seq === seq && next.data.length >= data.length) return;
    this.ooo.splice(i, 0, { seq, data });
    this.oooBytes += data.length;
    this.lastOoo = seq;
  }
}

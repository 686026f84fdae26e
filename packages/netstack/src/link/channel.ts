// An in-memory point-to-point wire between two endpoints, with injectable
// loss, reordering, duplication and delay. Delivery is always through the
// Clock, so a VirtualClock makes every run reproducible.

import type { Clock, Timer } from '../time/clock.js';
import type { LinkCapabilities, LinkEndpoint } from './endpoint.js';
import type { MacAddress } from '../wire/address.js';

/**
 * Decides the fate of one frame: an array of delivery delays in ms (empty to
 * drop it, two or more entries to duplicate it). `direction` is 0 for a->b.
 */
export type Impairment = (frame: Uint8Array, direction: 0 | 1) => number[];

export interface ChannelOptions {
  /** MTU of both ends (default 1500). */
  mtu?: number;
  /** Base one-way delay in ms (default 0: delivered on the next clock turn). */
  delayMs?: number;
  /** Random loss/reorder/duplication; ignored if `impairment` is given. */
  loss?: number;
  duplicate?: number;
  /** Probability that a frame is held back by up to `reorderDelayMs` extra. */
  reorder?: number;
  reorderDelayMs?: number;
  /** Source of randomness in [0, 1) for the probabilities above (default: a fixed-seed PRNG). */
  random?: () => number;
  /** Full control over each frame's fate. */
  impairment?: Impairment;
  /** MAC addresses of the two ends (defaults 02:00:00:00:00:01 and :02). */
  macA?: MacAddress;
  macB?: MacAddress;
}

/** A small deterministic PRNG (mulberry32) for reproducible impairments. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Counters a test can assert on. */
export interface ChannelStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

class ChannelEnd implements LinkEndpoint {
  readonly capabilities: LinkCapabilities = { resolutionRequired: true, checksumOffload: false };
  receive: ((frame: Uint8Array) => void) | null = null;
  peer!: ChannelEnd;
  closed = false;

  constructor(
    readonly mtu: number,
    readonly macAddress: MacAddress,
    private readonly channel: ChannelPair,
    private readonly direction: 0 | 1,
  ) {}

  attach(receive: (frame: Uint8Array) => void): void {
    this.receive = receive;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.channel.transmit(frame, this.direction, this.peer);
  }

  close(): void {
    this.closed = true;
  }
}

/** Two connected link endpoints, `a` and `b`. */
export class ChannelPair {
  readonly a: LinkEndpoint;
  readonly b: LinkEndpoint;
  readonly stats: ChannelStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  private readonly impairment: Impairment;

  constructor(
    private readonly clock: Clock,
    opts: ChannelOptions = {},
  ) {
    const mtu = opts.mtu ?? 1500;
    const a = new ChannelEnd(mtu, opts.macA ?? new Uint8Array([2, 0, 0, 0, 0, 1]), this, 0);
    const b = new ChannelEnd(mtu, opts.macB ?? new Uint8Array([2, 0, 0, 0, 0, 2]), this, 1);
    a.peer = b;
    b.peer = a;
    this.a = a;
    this.b = b;
    this.impairment = opts.impairment ?? randomImpairment(opts);
  }

  /** @internal Called by an end to carry a frame to its peer. */
  transmit(frame: Uint8Array, direction: 0 | 1, to: ChannelEnd): void {
    this.stats.sent++;
    const delays = this.impairment(frame, direction);
    if (delays.length === 0) this.stats.dropped++;
    if (delays.length > 1) this.stats.duplicated += delays.length - 1;
    delays.forEach((d, i) => {
      const copy = i === 0 ? frame : frame.slice();
      if (d <= 0) {
        // Zero-delay frames share one timer per turn (a timer per frame is what dominates the cost).
        this.immediate.push({ to, frame: copy });
        if (!this.immediateTimer) this.immediateTimer = this.clock.setTimer(0, () => this.flushImmediate());
        return;
      }
      this.clock.setTimer(d, () => this.deliver(to, copy));
    });
  }

  private immediate: { to: ChannelEnd; frame: Uint8Array }[] = [];
  private immediateTimer: Timer | null = null;

  private flushImmediate(): void {
    this.immediateTimer = null;
    const batch = this.immediate;
    this.immediate = [];
    for (const { to, frame } of batch) this.deliver(to, frame);
  }

  private deliver(to: ChannelEnd, frame: Uint8Array): void {
    if (to.closed || !to.receive) return;
    this.stats.delivered++;
    to.receive(frame);
  }
}

function randomImpairment(opts: ChannelOptions): Impairment {
  const rnd = opts.random ?? seededRandom(1);
  const base = opts.delayMs ?? 0;
  const loss = opts.loss ?? 0;
  const dup = opts.duplicate ?? 0;
  const reorder = opts.reorder ?? 0;
  const extra = opts.reorderDelayMs ?? 5;
  return () => {
    if (loss > 0 && rnd() < loss) return [];
    const one = () => (reorder > 0 && rnd() < reorder ? base + rnd() * extra : base);
    const out = [one()];
    if (dup > 0 && rnd() < dup) out.push(one());
    return out;
  };
}

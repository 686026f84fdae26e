// Subscriber bookkeeping shared by every socket type.

import { POLL } from '../abi.js';

interface Subscriber {
  mask: number;
  cb: (readiness: number) => void;
}

/** Calls subscribers whose mask (plus ERR/HUP) intersects the current readiness. */
export class Readiness {
  private subs = new Set<Subscriber>();

  subscribe(mask: number, cb: (readiness: number) => void): () => void {
    const s: Subscriber = { mask: mask | POLL.ERR | POLL.HUP, cb };
    this.subs.add(s);
    return () => {
      this.subs.delete(s);
    };
  }

  get active(): boolean {
    return this.subs.size > 0;
  }

  /** Reports `readiness` to interested subscribers. */
  dispatch(readiness: number): void {
    for (const s of [...this.subs]) if ((readiness & s.mask) !== 0 && this.subs.has(s)) s.cb(readiness);
  }

  clear(): void {
    this.subs.clear();
  }
}

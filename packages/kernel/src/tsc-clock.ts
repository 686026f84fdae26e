/**
 * The sandbox's MONOTONIC clock as a function of the host's TSC, shared by
 * the sentry and the vDSO: ns = monoBase + ((tsc - tscBase) * mult) >> shift.
 * Both compute it with the same integers, so a time an application reads in
 * the vDSO and one the sentry serves are ordered as the TSC readings are:
 * time never goes backwards between a vDSO call and a trapped call.
 *
 * The TSC frequency is measured against the host's CLOCK_MONOTONIC
 * (process.hrtime) at boot and then once a second: each update rebases the
 * parameters at the current value (so the clock stays continuous) and sets
 * `mult` to close the gap to the host clock over the next second, by at most
 * 0.1%, as NTP slews a clock. Only an invariant TSC (constant_tsc and
 * nonstop_tsc) is used; without one the sentry reads the host clock and the
 * vDSO traps.
 */
import { readFileSync } from 'node:fs';
import { readTsc } from './native/tsc.js';

/** The parameters, as the vvar page publishes them. */
export interface TscParams {
  tscBase: bigint;
  /** CLOCK_MONOTONIC (ns since the sandbox's boot) at tscBase. */
  monoBase: bigint;
  mult: bigint;
  shift: bigint;
}

/** Who republishes the parameters (the vvar pages): `begin` before they change, `end` with the new ones. */
export interface TscParamsWatcher {
  begin(): void;
  end(params: TscParams): void;
}

const UPDATE_INTERVAL_NS = 1_000_000_000n;
/** The largest rate correction per update: 1/1000 of the interval. */
const MAX_SLEW_NS = UPDATE_INTERVAL_NS / 1000n;
/** Boot calibration: the TSC is timed over this much host time. */
const BOOT_CALIBRATION_NS = 2_000_000n;
/** A reading whose host-clock bracket is wider than this is retaken. */
const MAX_BRACKET_NS = 20_000n;

/** Whether the host's TSC ticks at a constant rate in every state (Linux's constant_tsc + nonstop_tsc). */
export function hostHasInvariantTsc(cpuinfo?: string): boolean {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return false;
    }
  }
  const flags = /^flags\s*:(.*)$/m.exec(text)?.[1].split(/\s+/) ?? [];
  return flags.includes('constant_tsc') && flags.includes('nonstop_tsc');
}

/** A TSC reading and the host's monotonic time at it, to within the bracket. */
interface Sample {
  tsc: bigint;
  hr: bigint;
}

function sample(): Sample {
  let best: Sample | undefined;
  let bestWidth = 0n;
  for (let i = 0; i < 5; i++) {
    const before = process.hrtime.bigint();
    const tsc = readTsc();
    const after = process.hrtime.bigint();
    const width = after - before;
    if (best === undefined || width < bestWidth) {
      best = { tsc, hr: before + width / 2n };
      bestWidth = width;
    }
    if (width <= MAX_BRACKET_NS) break;
  }
  return best!;
}

/** The largest shift (at most 32) that keeps mult in 32 bits, as the vDSO reads it. */
function multFor(nsPerInterval: bigint, cycles: bigint): { mult: bigint; shift: bigint } {
  for (let shift = 32n; shift > 0n; shift--) {
    const mult = (nsPerInterval << shift) / cycles;
    if (mult < 1n << 32n) return { mult: mult > 0n ? mult : 1n, shift };
  }
  return { mult: 1n, shift: 0n };
}

/** The TSC clock of this sentry, or undefined when the host's TSC is not usable. */
export class TscClock {
  private params: TscParams;
  private readonly first: Sample;
  private readonly watchers = new Set<TscParamsWatcher>();
  private lastUpdateHr: bigint;

  private constructor(private readonly bootHr: bigint) {
    this.first = sample();
    let last = this.first;
    do last = sample();
    while (last.hr - this.first.hr < BOOT_CALIBRATION_NS);
    const { mult, shift } = multFor(last.hr - this.first.hr, last.tsc - this.first.tsc);
    this.params = { tscBase: last.tsc, monoBase: last.hr - bootHr, mult, shift };
    this.lastUpdateHr = last.hr;
  }

  /** The clock, or undefined without an invariant TSC (or with TVISOR_TSC_CLOCK=0, to test the fallback). */
  static create(bootHr: bigint): TscClock | undefined {
    if (process.env.TVISOR_TSC_CLOCK === '0' || process.arch !== 'x64' || !hostHasInvariantTsc()) return undefined;
    return new TscClock(bootHr);
  }

  /** The current parameters. */
  current(): TscParams {
    return this.params;
  }

  /** CLOCK_MONOTONIC at `tsc` under the current parameters (what the vDSO computes). */
  monotonicAt(tsc: bigint): bigint {
    const p = this.params;
    const delta = tsc > p.tscBase ? tsc - p.tscBase : 0n;
    return p.monoBase + ((delta * p.mult) >> p.shift);
  }

  /** CLOCK_MONOTONIC now. */
  monotonic(): bigint {
    return this.monotonicAt(readTsc());
  }

  /** Starts publishing the parameters to `watcher` (its `end` runs at once); returns the undo. */
  watch(watcher: TscParamsWatcher): () => void {
    this.watchers.add(watcher);
    watcher.end(this.params);
    return () => this.watchers.delete(watcher);
  }

  /**
   * Recalibrates when an interval has passed since the last update. The
   * sentry calls it as it serves events: while no event comes the
   * parameters stay as they are, which keeps the clock consistent, only
   * unslewed.
   */
  recalibrateIfDue(): void {
    if (process.hrtime.bigint() - this.lastUpdateHr >= UPDATE_INTERVAL_NS) this.recalibrate();
  }

  /**
   * Rebases the parameters at the current TSC value and sets the rate that
   * brings the clock to the host's over the next interval. The readers are
   * told first (the vvar seqcount goes odd), and only then is the TSC read,
   * so no reader can combine the old parameters with a later TSC value.
   */
  recalibrate(): void {
    for (const w of this.watchers) w.begin();
    const now = sample();
    const value = this.monotonicAt(now.tsc);
    const target = now.hr - this.bootHr;
    let correction = target - value;
    if (correction > MAX_SLEW_NS) correction = MAX_SLEW_NS;
    if (correction < -MAX_SLEW_NS) correction = -MAX_SLEW_NS;
    // The long-run rate: cycles per interval measured since boot.
    const cyclesPerInterval = ((now.tsc - this.first.tsc) * UPDATE_INTERVAL_NS) / (now.hr - this.first.hr || 1n);
    const { mult, shift } = multFor(UPDATE_INTERVAL_NS + correction, cyclesPerInterval > 0n ? cyclesPerInterval : 1n);
    this.params = { tscBase: now.tsc, monoBase: value, mult, shift };
    this.lastUpdateHr = now.hr;
    for (const w of this.watchers) w.end(this.params);
  }
}

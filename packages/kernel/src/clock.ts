import { CLOCK, Errno, SysError } from '@tvisor/abi';
import { TscClock } from './tsc-clock.js';

/** Nanoseconds, as a bigint so 64-bit clock values stay exact. */
export type Nanos = bigint;

const bootHr = process.hrtime.bigint();
const epochAtBoot = BigInt(Date.now()) * 1_000_000n;
/** The clock the vDSO shares with the sentry, when the host's TSC allows it. */
export const tscClock: TscClock | undefined = TscClock.create(bootHr);

/** CLOCK_REALTIME minus CLOCK_MONOTONIC: the wall clock at the sandbox's boot. */
export const REALTIME_OFFSET: Nanos = epochAtBoot;

/**
 * The sandbox's clocks. MONOTONIC and BOOTTIME count from the sandbox's
 * boot, as gVisor's do, so the host's uptime does not leak; REALTIME follows
 * the host's wall clock. With an invariant TSC they are read from it as the
 * vDSO reads them (tsc-clock.ts), else from the host's monotonic clock. CPU-time clocks are per task: see cpu-time.ts
 * (here they are EINVAL, as for timerfd_create).
 */
export function clockNow(clock: number): Nanos {
  const sinceBoot = tscClock !== undefined ? tscClock.monotonic() : process.hrtime.bigint() - bootHr;
  switch (clock) {
    case CLOCK.REALTIME:
    case CLOCK.REALTIME_COARSE:
    case CLOCK.TAI:
    case CLOCK.REALTIME_ALARM:
      return epochAtBoot + sinceBoot;
    case CLOCK.MONOTONIC:
    case CLOCK.MONOTONIC_RAW:
    case CLOCK.MONOTONIC_COARSE:
    case CLOCK.BOOTTIME:
    case CLOCK.BOOTTIME_ALARM:
      return sinceBoot;
    default:
      throw new SysError(Errno.EINVAL);
  }
}

export function clockResolution(clock: number): Nanos {
  clockNow(clock);
  return clock === CLOCK.REALTIME_COARSE || clock === CLOCK.MONOTONIC_COARSE ? 4_000_000n : 1n;
}

/** Writes a struct timespec. */
export function encodeTimespec(ns: Nanos): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setBigInt64(0, ns / 1_000_000_000n, true);
  v.setBigInt64(8, ns % 1_000_000_000n, true);
  return out;
}

/** Reads a struct timespec, EINVAL when out of range (as nanosleep(2)). */
export function decodeTimespec(bytes: Uint8Array): Nanos {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const sec = v.getBigInt64(0, true);
  const nsec = v.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new SysError(Errno.EINVAL);
  return sec * 1_000_000_000n + nsec;
}

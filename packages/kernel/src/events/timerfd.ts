import { Errno, POLL, SysError } from '@tvisor/abi';
import { WaiterQueue, type FileDescription, type ReadinessCallback } from '@tvisor/vfs';
import type { Nanos } from '../clock.js';
import { anonFile, anonInode, RecordStreamImpl } from './anon-inode.js';
import { MAX_TIMER_MS } from './wait.js';

/** Where a timerfd reads its clock and arms its host timer (the kernel's clockNow and setTimer). */
export interface TimerEnvironment {
  now(clock: number): Nanos;
  /** Runs `fn` after `ms` milliseconds; returns the function that cancels it. */
  schedule(ms: number, fn: () => void): () => void;
}

/** A timer setting as timerfd_settime/gettime exchange it: time to the next expiration and the period (0: none). */
export interface TimerSetting {
  value: Nanos;
  interval: Nanos;
}

/**
 * A timerfd (timerfd_create(2)): a timer on one clock whose expirations
 * accumulate in a counter that read(2) returns and resets. The count is
 * computed from the clock whenever it is looked at, so a late host timer
 * never loses expirations; the host timer only exists to wake waiters.
 */
export class TimerFdImpl extends RecordStreamImpl {
  private ticks = 0n;
  /** The next expiration, on `clock`; undefined while disarmed. */
  private deadline: Nanos | undefined;
  private interval = 0n;
  private cancelTimer: (() => void) | undefined;
  private readonly waiters = new WaiterQueue();

  constructor(
    readonly clock: number,
    private readonly env: TimerEnvironment,
  ) {
    super(anonInode());
  }

  /** Counts the expirations that have passed since the last look. */
  private update(): void {
    if (this.deadline === undefined) return;
    const now = this.env.now(this.clock);
    if (now < this.deadline) return;
    if (this.interval === 0n) {
      this.ticks += 1n;
      this.deadline = undefined;
    } else {
      const n = (now - this.deadline) / this.interval + 1n;
      this.ticks += n;
      this.deadline += n * this.interval;
    }
  }

  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.deadline === undefined) return;
    // A deadline past the host timer's limit is reached in steps: each early
    // wakeup finds nothing expired and arms again.
    const ms = Math.min(MAX_TIMER_MS, Math.ceil(Number(this.deadline - this.env.now(this.clock)) / 1e6));
    this.cancelTimer = this.env.schedule(Math.max(0, ms), () => {
      this.cancelTimer = undefined;
      const before = this.ticks;
      this.update();
      if (this.ticks > before) this.waiters.notify(POLL.IN | POLL.RDNORM);
      this.arm();
    });
  }

  /**
   * timerfd_settime: arms the timer `value` from now (or at `value` on the
   * clock when `absolute`), repeating every `interval`; a zero value
   * disarms it. Pending expirations are dropped. Returns the old setting.
   */
  set(setting: TimerSetting, absolute: boolean): TimerSetting {
    const old = this.get();
    this.ticks = 0n;
    this.interval = setting.interval;
    if (setting.value === 0n) this.deadline = undefined;
    else this.deadline = absolute ? setting.value : this.env.now(this.clock) + setting.value;
    this.arm();
    // An absolute time already past expires at once.
    this.update();
    if (this.ticks > 0n) this.waiters.notify(POLL.IN | POLL.RDNORM);
    return old;
  }

  /** timerfd_gettime: time to the next expiration (0 when disarmed) and the period. */
  get(): TimerSetting {
    this.update();
    if (this.deadline === undefined) return { value: 0n, interval: this.interval };
    const left = this.deadline - this.env.now(this.clock);
    return { value: left > 0n ? left : 1n, interval: this.interval };
  }

  override read(_fd: FileDescription, dst: Uint8Array): number {
    if (dst.length < 8) throw new SysError(Errno.EINVAL);
    this.update();
    if (this.ticks === 0n) throw new SysError(Errno.EAGAIN);
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, this.ticks, true);
    this.ticks = 0n;
    return 8;
  }

  override readiness(_fd: FileDescription, mask: number): number {
    this.update();
    return this.ticks > 0n ? mask & (POLL.IN | POLL.RDNORM) : 0;
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.waiters.subscribe(mask, cb);
  }

  override release(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.deadline = undefined;
  }
}

/** A new timerfd description (`anon_inode:[timerfd]`); the caller owns its reference. */
export function createTimerFd(clock: number, env: TimerEnvironment, statusFlags: number): FileDescription {
  return anonFile('[timerfd]', new TimerFdImpl(clock, env), statusFlags);
}

// POSIX timers' signal queueing (timer_create, timer_settime): a timer's
// signal is queued once and further expiries while it is pending raise its
// si_overrun (timers_test RealTimeSignalsAreNotDuplicated, PeriodicThread-
// DirectedSignal, AlreadyPendingSignal). Deadlines fire by hand: the test
// stands in for the kernel's clock.
import { CLOCK, Errno, SI, SIGEV, SYS, Signal, Sigevent } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sigbit } from './signals.js';
import { decodeSigInfo } from './signals/index.js';
import type { Task } from './task.js';
import { KernelHarness } from './testing/kernel-harness.js';

const memoryFile = MemoryFile.create('posix-timers-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
/** Deadlines the kernel armed, fired by the test in order. */
let armed: (() => void)[];
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  armed = [];
  h.kernel.setDeadline = (_clock, _deadline, fn) => {
    armed.push(fn);
    return () => {
      armed = armed.filter((f) => f !== fn);
    };
  };
  t = h.newProcess();
});

/** The next armed deadline passes. */
function expire(): void {
  const fn = armed.shift();
  expect(fn, 'a deadline is armed').toBeDefined();
  fn!();
}

/** A periodic timer (a long period: no expiry is missed meanwhile) sending `signo` to thread `t`. */
function periodicTimer(signo: number): number {
  const ev = new Uint8Array(Sigevent.size);
  Sigevent.encode(new DataView(ev.buffer), 0, { sigev_value: 42n, sigev_signo: signo, sigev_notify: SIGEV.THREAD_ID, sigev_notify_thread_id: t.tid });
  const idOut = h.alloc(t, 4);
  expect(h.syscall(t, SYS.timer_create, CLOCK.MONOTONIC, h.alloc(t, ev.length, ev), idOut)).toBe(0);
  const id = h.view(t, idOut, 4).getInt32(0, true);
  const spec = new BigInt64Array([1000n, 0n, 1000n, 0n]);
  expect(h.syscall(t, SYS.timer_settime, id, 0, h.alloc(t, 32, new Uint8Array(spec.buffer)), 0)).toBe(0);
  return id;
}

/** rt_sigtimedwait for `signo` with a zero timeout: the signal taken and its siginfo. */
function take(signo: number): { sig: number | undefined; info: ReturnType<typeof decodeSigInfo> } {
  const set = h.alloc(t, 8, new Uint8Array(new BigUint64Array([sigbit(signo)]).buffer));
  const info = h.alloc(t, 128);
  const zero = h.alloc(t, 16);
  const sig = h.syscall(t, SYS.rt_sigtimedwait, set, info, zero, 8);
  return { sig, info: decodeSigInfo(h.read(t, info, 128)) };
}

describe('POSIX timer signals', () => {
  it('a real-time timer signal is queued once; expiries while it is pending become its si_overrun', () => {
    const signo = Signal.SIGRTMIN;
    t.blocked = sigbit(signo);
    const id = periodicTimer(signo);
    expire();
    expire();
    expire();
    const first = take(signo);
    expect(first.sig).toBe(signo);
    expect(first.info).toMatchObject({ layout: 'timer', info: { si_timerid: id, si_overrun: 2, si_value: 42n } });
    // Only one was queued.
    expect(t.group.signals.pending & sigbit(signo)).toBe(0n);
    // Taken, the next expiry queues a fresh one.
    expire();
    expect(take(signo).info).toMatchObject({ info: { si_overrun: 0 } });
  });

  it("a standard signal already pending from elsewhere does not swallow the timer's own entry", () => {
    const signo = Signal.SIGUSR1;
    t.blocked = sigbit(signo);
    expect(h.syscall(t, SYS.tgkill, t.group.pid, t.tid, signo)).toBe(0);
    periodicTimer(signo);
    expire();
    expire();
    expect(take(signo).info.info).toMatchObject({ si_code: SI.TKILL });
    expire();
    expect(take(signo).info).toMatchObject({ layout: 'timer', info: { si_overrun: 2 } });
  });

  it('SIGEV_THREAD given to the kernel directly means SIGEV_SIGNAL (glibc builds SIGEV_THREAD itself); an unknown notify is EINVAL', () => {
    const create = (notify: number) => {
      const ev = new Uint8Array(Sigevent.size);
      Sigevent.encode(new DataView(ev.buffer), 0, { sigev_value: 7n, sigev_signo: Signal.SIGUSR2, sigev_notify: notify, sigev_notify_thread_id: 0 });
      const idOut = h.alloc(t, 4);
      const rc = h.syscall(t, SYS.timer_create, CLOCK.MONOTONIC, h.alloc(t, ev.length, ev), idOut);
      return { rc, id: h.view(t, idOut, 4).getInt32(0, true) };
    };
    expect(create(3).rc).toBe(-Errno.EINVAL);
    const { rc, id } = create(SIGEV.THREAD);
    expect(rc).toBe(0);
    t.blocked = sigbit(Signal.SIGUSR2);
    const spec = new BigInt64Array([0n, 0n, 1000n, 0n]);
    expect(h.syscall(t, SYS.timer_settime, id, 0, h.alloc(t, 32, new Uint8Array(spec.buffer)), 0)).toBe(0);
    expire();
    expect(take(Signal.SIGUSR2).info).toMatchObject({ layout: 'timer', info: { si_timerid: id, si_value: 7n } });
  });
});

/**
 * A one-shot host timer that ends the sentry's blocking waitpid after a
 * while: it sends SIGURG to the sentry's main thread (timer_create with
 * SIGEV_THREAD_ID), whose handler is installed without SA_RESTART, so the
 * waitpid fails with EINTR.
 *
 * Why: a host signal that runsc forwards ends that waitpid too, but only if
 * it arrives during it. One that arrives just before (while the sentry runs
 * JavaScript), or that the host delivers to another of Node's threads, would
 * otherwise wait for the application's next stop, which never comes while
 * it computes without syscalls. The timer bounds that wait.
 */
import { CLOCK, Itimerspec, SA, SIGEV, SYS, Sigaction, Sigevent, Signal } from '@tvisor/abi';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const sys4 = libc.func('long syscall(long nr, long a, uint8_t *b, uint8_t *c, long d)');
const timerSettime = libc.func('long syscall(long nr, int timer, int flags, uint8_t *value, uint8_t *old)');

export const WAKE_SIGNAL = Signal.SIGURG;

let timerId: number | undefined;
const spec = new Uint8Array(Itimerspec.size);
const specView = new DataView(spec.buffer);

/** Creates the timer and SIGURG's handler once; false if the host refused (the caller then blocks unbounded). */
function ensureTimer(): boolean {
  if (timerId !== undefined) return timerId >= 0;
  timerId = -1;
  // A listener makes Node install a handler (the default action would be to ignore SIGURG, which interrupts nothing).
  process.on('SIGURG', () => {});
  const old = new Uint8Array(Sigaction.size);
  if (Number(sys4(SYS.rt_sigaction, WAKE_SIGNAL, null, old, 8)) !== 0) return false;
  const act = Sigaction.decode(new DataView(old.buffer), 0);
  act.sa_flags &= ~SA.RESTART;
  const next = new Uint8Array(Sigaction.size);
  Sigaction.encode(new DataView(next.buffer), 0, act);
  if (Number(sys4(SYS.rt_sigaction, WAKE_SIGNAL, next, null, 8)) !== 0) return false;
  const ev = new Uint8Array(Sigevent.size);
  // The main thread's tid is the process id; koffi's synchronous calls run on it.
  Sigevent.encode(new DataView(ev.buffer), 0, {
    sigev_value: 0n,
    sigev_signo: WAKE_SIGNAL,
    sigev_notify: SIGEV.THREAD_ID,
    sigev_notify_thread_id: process.pid,
  });
  const id = new Uint8Array(4);
  if (Number(sys4(SYS.timer_create, CLOCK.MONOTONIC, ev, id, 0)) !== 0) return false;
  timerId = new DataView(id.buffer).getInt32(0, true);
  return true;
}

function set(ms: number): void {
  const ns = BigInt(Math.max(0, Math.round(ms * 1e6)));
  Itimerspec.encode(specView, 0, {
    it_interval: { tv_sec: 0, tv_nsec: 0 },
    it_value: { tv_sec: Number(ns / 1_000_000_000n), tv_nsec: Number(ns % 1_000_000_000n) },
  });
  timerSettime(SYS.timer_settime, timerId, 0, spec, null);
}

/** Arms the timer to interrupt the main thread's blocking call in `ms` ms (at least 1 µs); false if it cannot. */
export function armWakeTimer(ms: number): boolean {
  if (!ensureTimer()) return false;
  set(Math.max(ms, 0.001));
  return true;
}

/** Disarms it (a zero it_value), so it cannot interrupt anything after the wait it was armed for. */
export function disarmWakeTimer(): void {
  if (timerId !== undefined && timerId >= 0) set(0);
}

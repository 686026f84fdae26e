import { Errno, POLL, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import { clockNow, decodeTimespec, encodeTimespec, type Nanos } from '../clock.js';
import { applyTemporaryMask, waitForReadiness } from '../events/wait.js';
import { UNBLOCKABLE_MASK } from '../signals.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

const MONOTONIC = 1;
const POLLFD_SIZE = 8;
const SIGSET_SIZE = 8;
/** What select's three sets test (fs/select.c). */
const POLLIN_SET = POLL.RDNORM | POLL.RDBAND | POLL.IN | POLL.HUP | POLL.ERR;
const POLLOUT_SET = POLL.WRBAND | POLL.WRNORM | POLL.OUT | POLL.ERR;
const POLLEX_SET = POLL.PRI;

/** Reads the sigset of ppoll/pselect6/epoll_pwait (EINVAL unless `size` is the kernel's 8). */
export function readSigmask(t: Task, addr: number, size: number): bigint {
  if (size !== SIGSET_SIZE) throw new SysError(Errno.EINVAL);
  const b = t.mm.copyIn(addr, SIGSET_SIZE);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) & ~UNBLOCKABLE_MASK;
}

/**
 * Runs a readiness wait with the syscall's temporary sigmask, if it has one:
 * a signal the mask unblocks that is already pending ends the syscall at
 * once (with `interrupted`), as Linux's signal_pending check does.
 */
export function withSigmask(t: Task, mask: bigint | undefined, interrupted: number, run: (onDone: (r: number, timedOut: boolean) => number) => number): number {
  if (mask === undefined) return run((r) => r);
  const restore = applyTemporaryMask(t, mask);
  if (!restore) return interrupted;
  try {
    return run(restore);
  } catch (e) {
    restore(0);
    throw e;
  }
}

/**
 * After select/pselect6/ppoll: writes the time left back to the caller's
 * timeout (Linux does; a zero timeout is left alone), as a timespec or a
 * timeval. A failure to write is ignored, as Linux's sticky path does.
 */
function writeBackRemaining(t: Task, addr: number, left: Nanos, asTimeval: boolean): void {
  const ns = left > 0n ? left : 0n;
  const bytes = encodeTimespec(ns);
  if (asTimeval) {
    const v = new DataView(bytes.buffer);
    v.setBigInt64(8, (ns % 1_000_000_000n) / 1000n, true);
  }
  try {
    t.mm.copyOut(addr, bytes);
  } catch {
    // Linux ignores it too (poll_select_finish).
  }
}

/** How a wait's end is reported (see waitForReadiness). */
interface EndHooks {
  onDone: (r: number, timedOut: boolean) => number;
  onInterrupt?: () => void;
}

interface PollFd {
  fd: number;
  events: number;
  file: FileDescription | undefined;
}

/** poll(2)'s core, shared by poll and ppoll. */
function doPoll(t: Task, fdsAddr: number, nfds: number, timeout: Nanos | undefined, interrupted: number, hooks: EndHooks): number {
  if (nfds > t.group.fds.limit) throw new SysError(Errno.EINVAL);
  const raw = nfds > 0 ? t.mm.copyIn(fdsAddr, nfds * POLLFD_SIZE) : new Uint8Array(0);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const entries: PollFd[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = view.getInt32(i * POLLFD_SIZE, true);
    const events = view.getUint16(i * POLLFD_SIZE + 4, true);
    let file: FileDescription | undefined;
    if (fd >= 0) {
      try {
        file = t.group.fds.get(fd);
      } catch {
        file = undefined;
      }
    }
    entries.push({ fd, events, file });
  }
  /** Computes every revents; copies them out when some are set (or `always`). */
  const check = (always: boolean): number => {
    let count = 0;
    const out = new Uint8Array(raw);
    const ov = new DataView(out.buffer);
    entries.forEach((e, i) => {
      let revents = 0;
      if (e.fd >= 0) {
        if (!e.file) revents = POLL.NVAL;
        else {
          const filter = e.events | POLL.ERR | POLL.HUP;
          revents = e.file.readiness(filter) & filter;
        }
      }
      ov.setUint16(i * POLLFD_SIZE + 6, revents, true);
      if (revents) count++;
    });
    if ((count > 0 || always) && nfds > 0) t.mm.copyOut(fdsAddr, out);
    return count;
  };
  return waitForReadiness(t, {
    sources: entries.filter((e) => e.file).map((e) => [e.file!, e.events | POLL.ERR | POLL.HUP] as const),
    check: () => check(timeout === 0n),
    timeout,
    onTimeout: () => check(true),
    interrupted,
    ...hooks,
  });
}

interface FdSets {
  in: Uint8Array | undefined;
  out: Uint8Array | undefined;
  ex: Uint8Array | undefined;
}

function isSet(set: Uint8Array | undefined, fd: number): boolean {
  return set !== undefined && (set[fd >> 3] & (1 << (fd & 7))) !== 0;
}

/** select(2)'s core, shared by select and pselect6. */
function doSelect(
  t: Task,
  nfdsArg: number,
  addrs: { in: number; out: number; ex: number },
  timeout: Nanos | undefined,
  interrupted: number,
  hooks: EndHooks,
): number {
  if (nfdsArg < 0) throw new SysError(Errno.EINVAL);
  const n = Math.min(nfdsArg, t.group.fds.limit);
  // fd_sets are arrays of unsigned longs: whole 8-byte words are read and written.
  const bytes = Math.ceil(n / 64) * 8;
  const read = (addr: number) => (addr !== 0 && bytes > 0 ? t.mm.copyIn(addr, bytes) : undefined);
  const sets: FdSets = { in: read(addrs.in), out: read(addrs.out), ex: read(addrs.ex) };
  const watched: Array<{ fd: number; file: FileDescription; mask: number }> = [];
  for (let fd = 0; fd < n; fd++) {
    let mask = 0;
    if (isSet(sets.in, fd)) mask |= POLLIN_SET;
    if (isSet(sets.out, fd)) mask |= POLLOUT_SET;
    if (isSet(sets.ex, fd)) mask |= POLLEX_SET;
    if (mask === 0) continue;
    watched.push({ fd, file: t.group.fds.get(fd), mask });
  }
  const check = (always: boolean): number => {
    const res = { in: new Uint8Array(bytes), out: new Uint8Array(bytes), ex: new Uint8Array(bytes) };
    let count = 0;
    for (const w of watched) {
      const r = w.file.readiness(w.mask);
      const bit = 1 << (w.fd & 7);
      if (isSet(sets.in, w.fd) && r & POLLIN_SET) {
        res.in[w.fd >> 3] |= bit;
        count++;
      }
      if (isSet(sets.out, w.fd) && r & POLLOUT_SET) {
        res.out[w.fd >> 3] |= bit;
        count++;
      }
      if (isSet(sets.ex, w.fd) && r & POLLEX_SET) {
        res.ex[w.fd >> 3] |= bit;
        count++;
      }
    }
    if (count > 0 || always) {
      if (sets.in) t.mm.copyOut(addrs.in, res.in);
      if (sets.out) t.mm.copyOut(addrs.out, res.out);
      if (sets.ex) t.mm.copyOut(addrs.ex, res.ex);
    }
    return count;
  };
  return waitForReadiness(t, {
    sources: watched.map((w) => [w.file, w.mask] as const),
    check: () => check(timeout === 0n),
    timeout,
    onTimeout: () => check(true),
    interrupted,
    ...hooks,
  });
}

/** Reads a struct timeval as select(2) does: microseconds past a second carry into the seconds; negatives are EINVAL. */
function readTimeval(t: Task, addr: number): Nanos {
  const b = t.mm.copyIn(addr, 16);
  const v = new DataView(b.buffer, b.byteOffset, 16);
  const sec = v.getBigInt64(0, true);
  const usec = v.getBigInt64(8, true);
  if (sec < 0n || usec < 0n) throw new SysError(Errno.EINVAL);
  return sec * 1_000_000_000n + usec * 1000n;
}

/**
 * Hooks that write the time left of a non-zero timeout back to `addr` when
 * the syscall ends, however it ends (Linux's poll_select_finish): `onDone`
 * wraps `next`, `onInterrupt` is for a signal ending the wait.
 */
function remainingWriter(
  t: Task,
  addr: number,
  timeout: Nanos | undefined,
  asTimeval: boolean,
  next: (r: number, timedOut: boolean) => number,
): { onDone: (r: number, timedOut: boolean) => number; onInterrupt?: () => void } {
  if (addr === 0 || timeout === undefined || timeout === 0n) return { onDone: next };
  const deadline = clockNow(MONOTONIC) + timeout;
  return {
    onDone: (r, timedOut) => {
      writeBackRemaining(t, addr, timedOut ? 0n : deadline - clockNow(MONOTONIC), asTimeval);
      return next(r, timedOut);
    },
    onInterrupt: () => writeBackRemaining(t, addr, deadline - clockNow(MONOTONIC), asTimeval),
  };
}

/** poll, ppoll, select and pselect6: level-triggered waits on many files at once. */
export function registerPollSyscalls(table: SyscallTable): void {
  table.register({
    poll: {
      args: ['ptr', 'uint', 'int'],
      support: 'partial',
      note: 'a signal ends the wait with EINTR (Linux restarts it when no handler ran)',
      handler: (t, a) => {
        const ms = a.argInt(2);
        const timeout = ms < 0 ? undefined : BigInt(ms) * 1_000_000n;
        return doPoll(t, a.arg(0), a.argUint(1), timeout, -Errno.EINTR, { onDone: (r) => r });
      },
    },
    ppoll: {
      args: ['ptr', 'uint', 'ptr', 'ptr', 'uint'],
      handler: (t, a) => {
        const tsAddr = a.arg(2);
        const timeout = tsAddr === 0 ? undefined : decodeTimespec(t.mm.copyIn(tsAddr, 16));
        const mask = a.arg(3) === 0 ? undefined : readSigmask(t, a.arg(3), a.arg(4));
        return withSigmask(t, mask, -Errno.ERESTARTNOHAND, (restore) =>
          doPoll(t, a.arg(0), a.argUint(1), timeout, -Errno.ERESTARTNOHAND, remainingWriter(t, tsAddr, timeout, false, restore)),
        );
      },
    },
    select: {
      args: ['int', 'ptr', 'ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        const tvAddr = a.arg(4);
        const timeout = tvAddr === 0 ? undefined : readTimeval(t, tvAddr);
        const addrs = { in: a.arg(1), out: a.arg(2), ex: a.arg(3) };
        return doSelect(
          t,
          a.argInt(0),
          addrs,
          timeout,
          -Errno.ERESTARTNOHAND,
          remainingWriter(t, tvAddr, timeout, true, (r) => r),
        );
      },
    },
    pselect6: {
      args: ['int', 'ptr', 'ptr', 'ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        const tsAddr = a.arg(4);
        const timeout = tsAddr === 0 ? undefined : decodeTimespec(t.mm.copyIn(tsAddr, 16));
        let mask: bigint | undefined;
        if (a.arg(5) !== 0) {
          // The sixth argument points to { const sigset_t *ss; size_t ss_len; }.
          const b = t.mm.copyIn(a.arg(5), 16);
          const v = new DataView(b.buffer, b.byteOffset, 16);
          const ss = Number(v.getBigUint64(0, true));
          const len = Number(v.getBigUint64(8, true));
          if (ss !== 0) mask = readSigmask(t, ss, len);
        }
        const addrs = { in: a.arg(1), out: a.arg(2), ex: a.arg(3) };
        return withSigmask(t, mask, -Errno.ERESTARTNOHAND, (restore) =>
          doSelect(t, a.argInt(0), addrs, timeout, -Errno.ERESTARTNOHAND, remainingWriter(t, tsAddr, timeout, false, restore)),
        );
      },
    },
  });
}

// Signal-driven I/O (fcntl(2) F_SETOWN, F_SETOWN_EX, F_SETSIG and O_ASYNC):
// an open file description with O_ASYNC and an owner signals the owner when
// it becomes readable or writable: SIGIO by default, or the F_SETSIG signal
// with si_code POLL_IN/POLL_OUT..., si_band and si_fd (the descriptor
// O_ASYNC was set through), as Linux's kill_fasync. State lives with the
// description, so dup'ed descriptors share it.
import { Errno, F_OWNER, O, POLL, POLL_CODE, Signal, SysError } from '@tvisor/abi';
import type { FileDescription } from '@tvisor/vfs';
import type { Kernel } from './kernel.js';
import { sendSignal } from './signal-delivery.js';
import { sigInfoKernel, sigInfoPoll } from './signals/index.js';
import type { Task } from './task.js';

/** Who F_SETOWN/F_SETOWN_EX named: a thread, a process or a process group. */
export interface AsyncOwner {
  type: number;
  id: number;
}

interface AsyncState {
  owner: AsyncOwner | undefined;
  /** F_SETSIG's signal; 0 means SIGIO without details. */
  sig: number;
  /** The descriptor O_ASYNC was turned on through (si_fd). */
  fd: number;
  unsubscribe: (() => void) | undefined;
}

const states = new WeakMap<FileDescription, AsyncState>();

function stateOf(file: FileDescription): AsyncState {
  let s = states.get(file);
  if (!s) {
    s = { owner: undefined, sig: 0, fd: -1, unsubscribe: undefined };
    states.set(file, s);
  }
  return s;
}

/** F_GETOWN_EX: the owner, or {F_OWNER_PID, 0} when there is none. */
export function asyncOwner(file: FileDescription): AsyncOwner {
  return states.get(file)?.owner ?? { type: F_OWNER.PID, id: 0 };
}

/** F_SETOWN/F_SETOWN_EX: id 0 clears the owner; ESRCH if no such thread, process or group; EINVAL for an unknown type. */
export function setAsyncOwner(t: Task, file: FileDescription, owner: AsyncOwner): void {
  if (owner.type !== F_OWNER.TID && owner.type !== F_OWNER.PID && owner.type !== F_OWNER.PGRP) throw new SysError(Errno.EINVAL);
  if (owner.id < 0) throw new SysError(Errno.ESRCH);
  if (owner.id !== 0 && targets(t.kernel, owner).length === 0) throw new SysError(Errno.ESRCH);
  stateOf(file).owner = owner.id === 0 ? undefined : owner;
}

/** F_GETSIG. */
export function asyncSignal(file: FileDescription): number {
  return states.get(file)?.sig ?? 0;
}

/** F_SETSIG: 0 (SIGIO) or a valid signal number. */
export function setAsyncSignal(file: FileDescription, sig: number): void {
  if (sig < 0 || sig > 64) throw new SysError(Errno.EINVAL);
  stateOf(file).sig = sig;
}

/** After the status flags of `file` changed through descriptor `fd`: start or stop watching it for O_ASYNC. */
export function asyncFlagChanged(kernel: Kernel, file: FileDescription, fd: number): void {
  const on = (file.statusFlags & O.ASYNC) !== 0;
  const s = states.get(file);
  if (!on) {
    s?.unsubscribe?.();
    if (s) s.unsubscribe = undefined;
    return;
  }
  const state = stateOf(file);
  if (state.unsubscribe) return;
  state.fd = fd;
  const watched = POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM | POLL.ERR | POLL.HUP | POLL.PRI;
  state.unsubscribe = file.subscribe(watched, (mask) => {
    if (file.released) {
      state.unsubscribe?.();
      state.unsubscribe = undefined;
      return;
    }
    // The queue may be shared by both ends of a pipe: only this end's own readiness counts.
    const ready = mask & file.readiness(watched);
    if (ready !== 0) notifyOwner(kernel, state, ready);
  });
}

function notifyOwner(kernel: Kernel, state: AsyncState, ready: number): void {
  if (!state.owner) return;
  const [code, band] =
    ready & (POLL.IN | POLL.RDNORM)
      ? [POLL_CODE.IN, POLL.IN | POLL.RDNORM]
      : ready & (POLL.OUT | POLL.WRNORM)
        ? [POLL_CODE.OUT, POLL.OUT | POLL.WRNORM | POLL.WRBAND]
        : ready & POLL.HUP
          ? [POLL_CODE.HUP, POLL.HUP | POLL.ERR]
          : ready & POLL.ERR
            ? [POLL_CODE.ERR, POLL.ERR]
            : [POLL_CODE.PRI, POLL.PRI | POLL.RDBAND];
  const sig = state.sig === 0 ? Signal.SIGIO : state.sig;
  const info = state.sig === 0 ? sigInfoKernel(Signal.SIGIO) : sigInfoPoll(sig, code, band, state.fd);
  for (const { group, task } of targets(kernel, state.owner)) sendSignal(kernel, group, sig, info, task);
}

function targets(kernel: Kernel, owner: AsyncOwner): Array<{ group: Task['group']; task?: Task }> {
  const tasks = [...kernel.tasks.values()];
  if (owner.type === F_OWNER.TID) return tasks.filter((t) => t.tid === owner.id).map((t) => ({ group: t.group, task: t }));
  if (owner.type === F_OWNER.PID) return tasks.filter((t) => t.tid === owner.id && t.group.pid === owner.id).map((t) => ({ group: t.group }));
  return [...new Set(tasks.map((t) => t.group).filter((g) => g.pgid === owner.id))].map((group) => ({ group }));
}

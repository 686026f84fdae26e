import { Errno, O, POLL, SysError } from '@tvisor/abi';
import { PipeFile, type FileDescription } from '@tvisor/vfs';
import type { Task } from './task.js';

/**
 * Runs `op` (a read or write on `file`) the way a blocking file behaves:
 * if the file says EAGAIN and was not opened O_NONBLOCK, the task parks
 * until the file reports `events` (or a hangup or error) and `op` is tried
 * again. Nothing polls: the file's readiness callbacks drive the retry.
 */
export function blockingOp(t: Task, file: FileDescription, events: number, op: () => number, interrupted?: () => number): number {
  try {
    return op();
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN || file.statusFlags & O.NONBLOCK) throw e;
  }
  // Like Linux's fdget, the parked call keeps the description alive: another
  // thread's close(2) of the fd does not end it (a pipe keeps its reader).
  file.incRef();
  let held = true;
  const drop = () => {
    if (held) file.decRef();
    held = false;
  };
  return retryOnReadiness(
    t,
    (cb) => {
      const unsubscribe = file.subscribe(events | POLL.HUP | POLL.ERR, cb);
      return () => {
        unsubscribe();
        drop();
      };
    },
    op,
    interrupted,
  );
}

/**
 * write(2) to a pipe (pipe(7)): a blocking writer waits until every byte
 * is in; a non-blocking one takes what fits. Once some bytes are in, a
 * signal, a vanished reader or a fault ends the call with the count so far.
 * `writeSome(done)` writes from byte `done` of the caller's buffer.
 */
export function pipeWrite(t: Task, file: FileDescription, count: number, writeSome: (done: number) => number): number {
  let done = 0;
  const op = () => {
    while (done < count) {
      try {
        done += writeSome(done);
      } catch (e) {
        const mustWait = e instanceof SysError && e.errno === Errno.EAGAIN && !(file.statusFlags & O.NONBLOCK);
        if (done === 0 || mustWait) throw e;
        return done;
      }
    }
    return done;
  };
  return blockingOp(t, file, POLL.OUT, op, () => (done > 0 ? done : -Errno.ERESTARTSYS));
}

/**
 * Parks `t` after `op` said EAGAIN: each callback from `subscribe` tries
 * `op` again, and the first result other than EAGAIN (or errno) ends the
 * syscall. The sentry is single-threaded, so nothing can change between
 * the failed attempt and the subscription.
 */
export function retryOnReadiness(t: Task, subscribe: (cb: () => void) => () => void, op: () => number, interrupted?: () => number): number {
  return t.kernel.block(
    t,
    (complete) => {
      let unsubscribe: (() => void) | undefined;
      const retry = () => {
        let r: number;
        try {
          r = op();
        } catch (e) {
          if (e instanceof SysError && e.errno === Errno.EAGAIN) return;
          r = e instanceof SysError ? -e.errno : -Errno.EIO;
        }
        unsubscribe?.();
        unsubscribe = undefined;
        complete(r);
      };
      unsubscribe = subscribe(retry);
      return () => unsubscribe?.();
    },
    interrupted,
  );
}

/**
 * Gives a file open(2) just opened its fd. A FIFO opened for reading only
 * or writing only without O_NONBLOCK first waits for the other end
 * (fifo(7)): the task parks until a writer (or a reader) opens it. A signal
 * ends the wait (-ERESTARTSYS, so SA_RESTART reopens) and drops the
 * half-opened end, as Linux's fifo_open does.
 */
export function installOpened(t: Task, file: FileDescription, cloexec: boolean): number {
  const end = file.impl;
  if (!(end instanceof PipeFile) || file.statusFlags & O.NONBLOCK || end.peerReady()) return t.group.fds.add(file, cloexec);
  return t.kernel.block(t, (complete) => {
    let unsubscribe: (() => void) | undefined = file.subscribe(POLL.IN | POLL.OUT, () => {
      if (!end.peerReady()) return;
      unsubscribe?.();
      unsubscribe = undefined;
      let r: number;
      try {
        r = t.group.fds.add(file, cloexec);
      } catch (e) {
        file.decRef();
        r = e instanceof SysError ? -e.errno : -Errno.EIO;
      }
      complete(r);
    });
    return () => {
      unsubscribe?.();
      unsubscribe = undefined;
      file.decRef();
    };
  });
}

import { Errno, SEMF, SysError, type Sembuf } from '@tvisor/abi';
import type { Credentials } from '../task.js';
import { IpcObject, ipcNow } from './registry.js';

/** SEMVMX: the largest value a semaphore may hold. */
export const SEM_VALUE_MAX = 32767;
/** SEMAEM: the largest adjustment an undo entry may hold. */
export const SEM_ADJUST_MAX = SEM_VALUE_MAX;

/** A semop(2) call parked until its operations can all be done at once. */
interface PendingOp {
  readonly sops: readonly Sembuf[];
  readonly pid: number;
  /** The caller's undo adjustments for this set (SEM_UNDO), if any operation asks for them. */
  readonly undo: number[] | undefined;
  /** The operation that made it wait: it counts in semncnt (negative) or semzcnt (zero) of that semaphore. */
  blocking: Sembuf;
  /** Ends the wait with the syscall's result (0, or -errno). */
  readonly complete: (result: number) => void;
}

/**
 * A System V semaphore set (semget(2)): `nsems` counters changed only by
 * semop's all-or-nothing operation lists, and the callers waiting for
 * theirs to become possible, retried in arrival order after every change.
 */
export class SemSet extends IpcObject {
  readonly values: number[];
  /** The pid of the last process to change each semaphore (GETPID). */
  readonly pids: number[];
  /** Last semop (sem_otime). */
  otime = 0;
  private readonly pending: PendingOp[] = [];
  private retrying = false;

  constructor(key: number, creds: Credentials, mode: number, nsems: number) {
    super(key, creds, mode);
    this.values = new Array<number>(nsems).fill(0);
    this.pids = new Array<number>(nsems).fill(0);
  }

  get nsems(): number {
    return this.values.length;
  }

  /**
   * Linux's perform_atomic_semop: applies every operation of `sops` or none.
   * Returns undefined when done, or the operation that must wait (a
   * decrement below zero, or a wait-for-zero on a non-zero value). ERANGE
   * when a value would pass SEMVMX or an undo adjustment SEMAEM.
   */
  tryApply(sops: readonly Sembuf[], pid: number, undo: number[] | undefined): Sembuf | undefined {
    const values = [...this.values];
    const adjust = undo ? [...undo] : undefined;
    for (const sop of sops) {
      const cur = values[sop.num];
      const next = cur + sop.op;
      if (sop.op === 0 && cur !== 0) return sop;
      if (next < 0) return sop;
      if (next > SEM_VALUE_MAX) throw new SysError(Errno.ERANGE);
      if (sop.flg & SEMF.UNDO && adjust) {
        const adj = adjust[sop.num] - sop.op;
        if (adj < -SEM_ADJUST_MAX - 1 || adj > SEM_ADJUST_MAX) throw new SysError(Errno.ERANGE);
        adjust[sop.num] = adj;
      }
      values[sop.num] = next;
    }
    for (let i = 0; i < values.length; i++) this.values[i] = values[i];
    if (undo && adjust) for (let i = 0; i < adjust.length; i++) undo[i] = adjust[i];
    for (const sop of sops) this.pids[sop.num] = pid;
    this.otime = ipcNow();
    return undefined;
  }

  /**
   * Parks operations that must wait on `blocking` until `complete` can be
   * called: with 0 once done, -EIDRM when the set is removed, -ERANGE if
   * they would overflow by then. Returns the function that takes them off
   * the queue (a signal, a timeout).
   */
  enqueue(sops: readonly Sembuf[], pid: number, undo: number[] | undefined, blocking: Sembuf, complete: (result: number) => void): () => void {
    const op: PendingOp = { sops, pid, undo, blocking, complete };
    this.pending.push(op);
    return () => {
      const i = this.pending.indexOf(op);
      if (i >= 0) this.pending.splice(i, 1);
    };
  }

  /** GETNCNT / GETZCNT: callers waiting for semaphore `num` to grow / to reach zero. */
  waitingCount(num: number, forZero: boolean): number {
    let n = 0;
    for (const p of this.pending) {
      if (p.blocking.num !== num) continue;
      if (forZero ? p.blocking.op === 0 : p.blocking.op < 0) n++;
    }
    return n;
  }

  /** SETVAL / SETALL / undo at exit changed values: parked operations may now go. */
  setValue(num: number, value: number, pid: number): void {
    if (value < 0 || value > SEM_VALUE_MAX) throw new SysError(Errno.ERANGE);
    this.values[num] = value;
    this.pids[num] = pid;
  }

  /** Retries the parked operations in arrival order until none of them can go. */
  retryPending(): void {
    if (this.retrying) return;
    this.retrying = true;
    try {
      let progress = true;
      while (progress) {
        progress = false;
        for (const p of [...this.pending]) {
          let result = 0;
          try {
            const blocking = this.tryApply(p.sops, p.pid, p.undo);
            if (blocking !== undefined) {
              p.blocking = blocking;
              continue;
            }
          } catch (e) {
            result = e instanceof SysError ? -e.errno : -Errno.EINVAL;
          }
          this.pending.splice(this.pending.indexOf(p), 1);
          p.complete(result);
          if (result === 0) {
            progress = true;
            break;
          }
        }
      }
    } finally {
      this.retrying = false;
    }
  }

  /** IPC_RMID: every parked caller fails with EIDRM. */
  removed(): void {
    for (const p of this.pending.splice(0)) p.complete(-Errno.EIDRM);
  }
}

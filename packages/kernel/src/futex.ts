import { FUTEX } from '@tvisor/abi';
import type { MemoryManager } from '@tvisor/mm';
import type { Task } from './task.js';

/** One task parked in FUTEX_WAIT. */
interface Waiter {
  task: Task;
  bitset: number;
  wake: () => void;
  /** The queue the waiter is on now (requeue moves it). */
  key?: string;
}

/**
 * The futex wait queues. A private futex is keyed by its address space and
 * address; waking moves no data, it only completes the waiters' syscalls.
 */
/** A number naming each address space, for futex keys: processes sharing one (clone with CLONE_VM) meet on its futexes. */
const addressSpaceIds = new WeakMap<MemoryManager, number>();
let lastAddressSpaceId = 0;

function addressSpaceId(task: Task): number {
  let id = addressSpaceIds.get(task.mm);
  if (id === undefined) addressSpaceIds.set(task.mm, (id = ++lastAddressSpaceId));
  return id;
}

export class FutexTable {
  private readonly queues = new Map<string, Waiter[]>();

  /**
   * The queue a futex word belongs to. A private futex (FUTEX_PRIVATE_FLAG)
   * is keyed by its address space (which processes share after clone with
   * CLONE_VM) and address; a shared one on a MAP_SHARED mapping by the memory-file page offset behind it, so processes mapping
   * the same memory meet on the same futex. On private memory a shared
   * futex is per process but still not the private futex at the same
   * address: Linux marks its key FUT_OFF_MMSHARED, so a wake of the other
   * kind finds no waiter.
   */
  static key(task: Task, addr: number, shared = false): string {
    const space = addressSpaceId(task);
    if (shared) {
      const offset = task.mm.sharedWordKey(addr);
      if (offset !== undefined) return `memory:${offset}`;
      return `${space}:shared:${addr}`;
    }
    return `${space}:${addr}`;
  }

  /** Parks `task` on `key` until woken (the caller's block arranges completion). */
  enqueue(key: string, waiter: Waiter): () => void {
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = []));
    waiter.key = key;
    q.push(waiter);
    // Removes the waiter from whichever queue it is on by then.
    return () => this.remove(waiter.key!, waiter);
  }

  private remove(key: string, waiter: Waiter): void {
    const q = this.queues.get(key);
    if (!q) return;
    const i = q.indexOf(waiter);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.queues.delete(key);
  }

  /** Wakes up to `count` waiters whose bitset intersects `bitset`, oldest first; returns how many. */
  wake(key: string, count: number, bitset = 0xffffffff): number {
    const q = this.queues.get(key);
    if (!q) return 0;
    let woken = 0;
    for (const w of [...q]) {
      if (woken >= count) break;
      if ((w.bitset & bitset) === 0) continue;
      this.remove(key, w);
      w.wake();
      woken++;
    }
    return woken;
  }

  /** Wakes up to `wakeCount` waiters and moves up to `requeueCount` more to `target`. */
  requeue(key: string, target: string, wakeCount: number, requeueCount: number): number {
    const woken = this.wake(key, wakeCount);
    const q = this.queues.get(key);
    if (!q) return woken;
    // Take the movers out first: requeueing onto the same futex sends them to its tail once.
    const movers = q.splice(0, requeueCount);
    if (q.length === 0) this.queues.delete(key);
    if (movers.length > 0) {
      let t = this.queues.get(target);
      if (!t) this.queues.set(target, (t = []));
      for (const w of movers) w.key = target;
      t.push(...movers);
    }
    return woken + movers.length;
  }

  /** Reads the u32 futex word atomically (other threads run meanwhile); EINVAL unaligned, EFAULT unmapped. */
  static read(task: Task, addr: number): number {
    return task.mm.atomicLoad32(addr);
  }

  /** The tids of the tasks waiting on `key`, oldest first. */
  waiters(key: string): Task[] {
    return (this.queues.get(key) ?? []).map((w) => w.task);
  }
}

/**
 * Walks a dying thread's robust futex list (set_robust_list): every lock it
 * still owns gets FUTEX_OWNER_DIED and one waiter is woken, so the next
 * pthread_mutex_lock returns EOWNERDEAD instead of hanging.
 */
export function cleanupRobustList(t: Task): void {
  if (t.robustList === 0) return;
  const LIST_LIMIT = 2048;
  try {
    const head = t.mm.copyIn(t.robustList, 24);
    const hv = new DataView(head.buffer, head.byteOffset, 24);
    const futexOffset = Number(hv.getBigInt64(8, true));
    const pending = Number(hv.getBigUint64(16, true));
    // Entries are user addresses above 2^32: the PI bit is cleared arithmetically, not with 32-bit `&`.
    const untag = (entry: number) => entry - (entry % 2);
    const mark = (entry: number) => {
      const word = untag(entry) + futexOffset;
      const cur = FutexTable.read(t, word);
      if ((cur & FUTEX.TID_MASK) !== t.tid) return;
      t.mm.atomicCompareExchange32(word, cur, ((cur & FUTEX.WAITERS) | FUTEX.OWNER_DIED) >>> 0);
      // Linux wakes a dead owner's robust locks as shared futexes (glibc waits on them so).
      if (cur & FUTEX.WAITERS) t.kernel.futexes.wake(FutexTable.key(t, word, true), 1);
    };
    let entry = Number(hv.getBigUint64(0, true));
    for (let i = 0; i < LIST_LIMIT && entry !== t.robustList; i++) {
      const next = Number(new DataView(t.mm.copyIn(untag(entry), 8).buffer).getBigUint64(0, true));
      if (entry !== pending) mark(entry);
      entry = next;
    }
    if (pending !== 0) mark(pending);
  } catch {
    // A damaged list is abandoned, as Linux does.
  }
}

import type { ThreadGroup } from '../task.js';
import { newNamespaceInode, type UserNamespace } from '../user-namespace.js';
import { MsgQueue } from './msg-queue.js';
import { IpcRegistry } from './registry.js';
import { SEM_VALUE_MAX, SemSet } from './sem-set.js';
import { ShmSegment } from './shm-segment.js';

/** Linux's defaults (include/uapi/linux/msg.h, sem.h, shm.h), what /proc/sys/kernel shows. */
export const IPC_DEFAULTS = {
  msgmax: 8192,
  msgmnb: 16384,
  msgmni: 32000,
  semmsl: 32000,
  semmns: 1024000000,
  semopm: 500,
  semmni: 32000,
  /** ULONG_MAX - 2^24, past a double's integers. */
  shmmax: (1n << 64n) - (1n << 24n) - 1n,
  shmall: (1n << 64n) - (1n << 24n) - 1n,
  shmmni: 4096,
} as const;

/**
 * The System V IPC objects of an IPC namespace (ipc_namespaces(7)), their
 * limits, and each process's semaphore undo adjustments.
 */
export class IpcNamespace {
  readonly kind = 'ipc';
  constructor(
    /** The user namespace whose CAP_SYS_ADMIN and CAP_IPC_OWNER count here. */
    readonly owner: UserNamespace,
    readonly inode = newNamespaceInode(),
  ) {}

  msgmax: number = IPC_DEFAULTS.msgmax;
  msgmnb: number = IPC_DEFAULTS.msgmnb;
  readonly msg = new IpcRegistry<MsgQueue>(IPC_DEFAULTS.msgmni);
  semmsl: number = IPC_DEFAULTS.semmsl;
  semmns: number = IPC_DEFAULTS.semmns;
  semopm: number = IPC_DEFAULTS.semopm;
  readonly sem = new IpcRegistry<SemSet>(IPC_DEFAULTS.semmni);
  shmmax: bigint = IPC_DEFAULTS.shmmax;
  shmall: bigint = IPC_DEFAULTS.shmall;
  readonly shm = new IpcRegistry<ShmSegment>(IPC_DEFAULTS.shmmni);
  /** SEM_UNDO adjustments per process and set (Linux's sem_undo_list, one per process: fork starts empty). */
  private readonly undos = new WeakMap<ThreadGroup, Map<SemSet, number[]>>();
  /** Segments by what mm maps, to tell an attach's VMAs (shmdt) from other shared mappings. */
  readonly segments = new WeakMap<object, ShmSegment>();

  /** The undo adjustments of `group` for `set`, made on first use. */
  undoFor(group: ThreadGroup, set: SemSet): number[] {
    let sets = this.undos.get(group);
    if (!sets) this.undos.set(group, (sets = new Map()));
    let adj = sets.get(set);
    if (!adj) sets.set(set, (adj = new Array<number>(set.nsems).fill(0)));
    return adj;
  }

  /** SETVAL/SETALL: every process's adjustment for semaphore `num` (all when undefined) of `set` is cleared. */
  clearUndo(set: SemSet, num: number | undefined): void {
    for (const group of this.groupsWithUndo) {
      const adj = this.undos.get(group)?.get(set);
      if (!adj) continue;
      if (num === undefined) adj.fill(0);
      else adj[num] = 0;
    }
  }

  /** Processes that have undo entries (WeakMap cannot be walked; exit takes them out). */
  private readonly groupsWithUndo = new Set<ThreadGroup>();

  /** Notes that `group` holds undo entries (so clearUndo and exit find them). */
  trackUndo(group: ThreadGroup): void {
    this.groupsWithUndo.add(group);
  }

  /**
   * A process exited: its SEM_UNDO adjustments are added back, each value
   * clamped to [0, SEMVMX] as Linux's exit_sem does, and waiters retried.
   */
  applyUndo(group: ThreadGroup): void {
    const sets = this.undos.get(group);
    this.undos.delete(group);
    this.groupsWithUndo.delete(group);
    if (!sets) return;
    for (const [set, adj] of sets) {
      if (set.deleted) continue;
      for (let i = 0; i < adj.length; i++) {
        if (adj[i] === 0) continue;
        set.setValue(i, Math.min(Math.max(set.values[i] + adj[i], 0), SEM_VALUE_MAX), group.pid);
      }
      set.retryPending();
    }
  }
}

import { CAP, Errno, IPC, SysError, type IpcPerm } from '@tvisor/abi';
import type { Credentials } from '../task.js';
import { hasCapability } from '../credentials.js';

/** Linux's IPCMNI_SEQ_SHIFT: an object's id is its slot plus its sequence number times this. */
const SEQ_MULTIPLIER = 32768;

/** The permission bits of an IPC object's mode (S_IRWXUGO). */
const MODE_BITS = 0o777;

/** Wall-clock seconds, as the *_ctime/*_otime fields count. */
export function ipcNow(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * What every System V IPC object has (the kernel's kern_ipc_perm): its key,
 * id, owner and creator, and mode.
 */
export class IpcObject {
  /** The id the *get call returned (slot + seq * 32768). */
  id = -1;
  /** The slot in the registry (what *_STAT commands take). */
  slot = -1;
  seq = 0;
  uid: number;
  gid: number;
  readonly cuid: number;
  readonly cgid: number;
  mode: number;
  /** Last IPC_SET or creation (seconds). */
  ctime = ipcNow();
  /** Set once removed: parked callers wake up with EIDRM. */
  deleted = false;

  constructor(
    readonly key: number,
    creds: Credentials,
    mode: number,
  ) {
    this.uid = this.cuid = creds.euid;
    this.gid = this.cgid = creds.egid;
    this.mode = mode & MODE_BITS;
  }

  /** struct ipc_perm as *ctl(IPC_STAT) reports it. */
  perm(): IpcPerm {
    return { key: this.key, uid: this.uid, gid: this.gid, cuid: this.cuid, cgid: this.cgid, mode: this.mode, seq: this.seq };
  }

  /**
   * Linux's ipcperms: whether `creds` may read (4) or write (2) the object.
   * The owner's or creator's class applies first, then the group's; root
   * (CAP_IPC_OWNER) may do anything.
   */
  permits(creds: Credentials, requested: number): boolean {
    if (hasCapability(creds, CAP.IPC_OWNER)) return true;
    let granted = this.mode;
    if (creds.euid === this.uid || creds.euid === this.cuid) granted >>= 6;
    else if (inGroup(creds, this.gid) || inGroup(creds, this.cgid)) granted >>= 3;
    return (requested & ~granted & 0o7) === 0;
  }

  /** EACCES unless `creds` may access the object as `requested` (4 read, 2 write). */
  checkAccess(creds: Credentials, requested: number): void {
    if (!this.permits(creds, requested)) throw new SysError(Errno.EACCES);
  }

  /** IPC_SET and IPC_RMID: only the owner, the creator or root (CAP_SYS_ADMIN), else EPERM. */
  checkOwner(creds: Credentials): void {
    if (!hasCapability(creds, CAP.SYS_ADMIN) && creds.euid !== this.uid && creds.euid !== this.cuid) throw new SysError(Errno.EPERM);
  }

  /** IPC_SET's common part: the new owner and the permission bits of the mode. */
  setPerm(perm: IpcPerm): void {
    this.uid = perm.uid;
    this.gid = perm.gid;
    this.mode = (this.mode & ~MODE_BITS) | (perm.mode & MODE_BITS);
    this.ctime = ipcNow();
  }
}

function inGroup(creds: Credentials, gid: number): boolean {
  return creds.egid === gid || creds.groups.includes(gid);
}

/**
 * The objects of one kind (queues, semaphore sets or segments) of an IPC
 * namespace, by id and by key; ipcget's rules for finding or creating one.
 */
export class IpcRegistry<T extends IpcObject> {
  private readonly bySlot = new Map<number, T>();
  private readonly byKey = new Map<number, T>();
  private nextSeq = 0;
  /** No slot below this is free (so allocation does not rescan the used ones). */
  private lowestFree = 0;

  /** `limit` is the most objects there may be (msgmni, semmni, shmmni). */
  constructor(public limit: number) {}

  get size(): number {
    return this.bySlot.size;
  }

  /** The highest slot in use (what IPC_INFO/*_INFO return), or 0 when empty. */
  highestSlot(): number {
    let max = 0;
    for (const slot of this.bySlot.keys()) max = Math.max(max, slot);
    return max;
  }

  /** Every live object, by slot. */
  all(): T[] {
    return [...this.bySlot.values()].sort((a, b) => a.slot - b.slot);
  }

  /**
   * msgget/semget/shmget: finds the object with `key` or creates one with
   * `create` (IPC_PRIVATE always creates). `check` runs the kind's own tests
   * on an existing object (e.g. a segment too small), before the access check.
   */
  get(key: number, flags: number, creds: Credentials, create: () => T, check: (existing: T) => void): number {
    if (key !== IPC.PRIVATE) {
      const existing = this.byKey.get(key);
      if (existing) {
        if (flags & IPC.CREAT && flags & IPC.EXCL) throw new SysError(Errno.EEXIST);
        check(existing);
        // The mode bits of the call are the access asked for, in any class.
        const asked = flags & MODE_BITS;
        existing.checkAccess(creds, (asked >> 6) | (asked >> 3) | asked);
        return existing.id;
      }
      if (!(flags & IPC.CREAT)) throw new SysError(Errno.ENOENT);
    }
    if (this.bySlot.size >= this.limit) throw new SysError(Errno.ENOSPC);
    const obj = create();
    let slot = this.lowestFree;
    while (this.bySlot.has(slot)) slot++;
    this.lowestFree = slot + 1;
    obj.slot = slot;
    obj.seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) % (0x7fffffff / SEQ_MULTIPLIER);
    obj.id = slot + obj.seq * SEQ_MULTIPLIER;
    this.bySlot.set(slot, obj);
    if (key !== IPC.PRIVATE) this.byKey.set(key, obj);
    return obj.id;
  }

  /** The object with `id`, or EINVAL (a removed or never-made id; a negative one). */
  lookup(id: number): T {
    if (id < 0) throw new SysError(Errno.EINVAL);
    const obj = this.bySlot.get(id % SEQ_MULTIPLIER);
    if (obj === undefined || obj.id !== id) throw new SysError(Errno.EINVAL);
    return obj;
  }

  /** The object in `slot` (MSG_STAT, SEM_STAT, SHM_STAT take a slot, not an id), or EINVAL. */
  atSlot(slot: number): T {
    const obj = slot >= 0 ? this.bySlot.get(slot) : undefined;
    if (obj === undefined) throw new SysError(Errno.EINVAL);
    return obj;
  }

  /** Forgets the object: its key and id can no longer find it. */
  remove(obj: T): void {
    if (this.bySlot.get(obj.slot) === obj) {
      this.bySlot.delete(obj.slot);
      this.lowestFree = Math.min(this.lowestFree, obj.slot);
    }
    if (this.byKey.get(obj.key) === obj) this.byKey.delete(obj.key);
    obj.deleted = true;
  }

  /** A segment marked for removal keeps its id while attached but its key is free for a new one (SHM_DEST). */
  forgetKey(obj: T): void {
    if (this.byKey.get(obj.key) === obj) this.byKey.delete(obj.key);
  }
}

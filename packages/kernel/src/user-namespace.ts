// User namespaces (user_namespaces(7)): each maps ranges of its user and
// group ids onto the ids of its parent. Credentials always hold kernel ids
// (the initial namespace's); a namespace translates them at the syscall
// boundary, and capabilities count only over namespaces the holder owns.
import { CAP, Errno, SysError } from '@tvisor/abi';
import { capMask, type Credentials } from './credentials.js';

/** One line of uid_map/gid_map: `count` ids from `first` in the namespace are `lower`.. in the kernel's (initial namespace's) ids. */
export interface IdExtent {
  first: number;
  lower: number;
  count: number;
}

/** The id an unmapped kernel id reads as (/proc/sys/kernel/overflowuid and overflowgid). */
export const OVERFLOW_ID = 65534;
/** The invalid id (-1 as an unsigned int): what an unmapped id translates to. */
export const INVALID_ID = 0xffff_ffff;
/** Linux's limit of lines in one map (UID_GID_MAP_MAX_EXTENTS). */
const MAX_EXTENTS = 340;
/** Nesting limit: creating a 33rd level is EUSERS. */
const MAX_DEPTH = 32;

type IdKind = 'uid' | 'gid';

let nextInode = 0xf000_0100;
/** A fresh nsfs inode number (the initial namespaces use Linux's fixed ones just below). */
export function newNamespaceInode(): number {
  return nextInode++;
}

export class UserNamespace {
  uidMap: IdExtent[] | undefined;
  gidMap: IdExtent[] | undefined;
  /** /proc/PID/setgroups: whether setgroups(2) may ever be allowed here ("deny" is one-way). */
  setgroupsAllowed: boolean;
  readonly depth: number;
  readonly inode: number;

  constructor(
    /** undefined for the initial namespace. */
    readonly parent: UserNamespace | undefined,
    /** The creator's effective kernel uid and gid: the owner has every capability here from the parent namespace. */
    readonly ownerUid: number,
    readonly ownerGid: number,
    inode = newNamespaceInode(),
  ) {
    this.depth = parent ? parent.depth + 1 : 0;
    this.setgroupsAllowed = parent ? parent.setgroupsAllowed : true;
    this.inode = inode;
    if (!parent) this.uidMap = this.gidMap = [{ first: 0, lower: 0, count: INVALID_ID }];
  }

  private map(kind: IdKind): IdExtent[] {
    return (kind === 'uid' ? this.uidMap : this.gidMap) ?? [];
  }

  /** The kernel id that `id` of this namespace stands for, or INVALID_ID when unmapped (make_kuid). */
  toKernel(kind: IdKind, id: number): number {
    if (id === INVALID_ID) return INVALID_ID;
    const e = this.map(kind).find((x) => id >= x.first && id - x.first < x.count);
    return e ? e.lower + (id - e.first) : INVALID_ID;
  }

  /** The id of this namespace that kernel id `kid` is, or INVALID_ID when unmapped (from_kuid). */
  fromKernel(kind: IdKind, kid: number): number {
    const e = this.map(kind).find((x) => kid >= x.lower && kid - x.lower < x.count);
    return e ? e.first + (kid - e.lower) : INVALID_ID;
  }

  /** fromKernel, with unmapped ids shown as the overflow id (from_kuid_munged: what getuid(2) and stat(2) say). */
  show(kind: IdKind, kid: number): number {
    const id = this.fromKernel(kind, kid);
    return id === INVALID_ID ? OVERFLOW_ID : id;
  }

  /** The text of /proc/PID/{uid,gid}_map as `viewer` reads it: lower ids shown in the viewer's namespace, or the parent's when it is this one. */
  mapText(kind: IdKind, viewer: UserNamespace): string {
    const lowerNs = viewer === this && this.parent ? this.parent : viewer;
    return this.map(kind)
      .map((e) => `${pad(e.first)} ${pad(lowerNs.fromKernel(kind, e.lower))} ${pad(e.count)}\n`)
      .join('');
  }

  /**
   * A write to /proc/PID/{uid,gid}_map by `writer` (map_write): once only,
   * at offset 0, by someone with CAP_SYS_ADMIN here; the lines' lower ids are
   * the parent's and must be mapped there; without CAP_SETUID (CAP_SETGID)
   * over the parent, only the owner may map its own effective id (for groups
   * only after setgroups was denied).
   */
  writeMap(kind: IdKind, writer: Credentials, data: Uint8Array, offset: number): number {
    if (!this.parent) throw new SysError(Errno.EPERM);
    if ((kind === 'uid' ? this.uidMap : this.gidMap) !== undefined) throw new SysError(Errno.EPERM);
    if (!hasCapabilityIn(writer, CAP.SYS_ADMIN, this)) throw new SysError(Errno.EPERM);
    if (offset !== 0 || data.length >= 4096) throw new SysError(Errno.EINVAL);
    const extents = parseMap(data);
    const parent = this.parent;
    const own = kind === 'uid' ? writer.euid : writer.egid;
    const single = extents.length === 1 && extents[0].count === 1 && writer.euid === this.ownerUid;
    const ownId = single && parent.toKernel(kind, extents[0].lower) === own && (kind === 'uid' || !this.setgroupsAllowed);
    const cap = kind === 'uid' ? CAP.SETUID : CAP.SETGID;
    if (!ownId && !hasCapabilityIn(writer, cap, parent)) throw new SysError(Errno.EPERM);
    const mapped = extents.map((e) => {
      const lower = parent.toKernel(kind, e.lower);
      const last = parent.toKernel(kind, e.lower + e.count - 1);
      if (lower === INVALID_ID || last !== lower + e.count - 1) throw new SysError(Errno.EPERM);
      return { ...e, lower };
    });
    if (kind === 'uid') this.uidMap = mapped;
    else this.gidMap = mapped;
    return data.length;
  }

  /** A write to /proc/PID/setgroups: "allow" or "deny"; deny is final and must come before gid_map. */
  writeSetgroups(writer: Credentials, data: Uint8Array, offset: number): number {
    if (offset !== 0) throw new SysError(Errno.EINVAL);
    const text = cString(data).replace(/\s+$/, '');
    if (text !== 'allow' && text !== 'deny') throw new SysError(Errno.EINVAL);
    if (!hasCapabilityIn(writer, CAP.SYS_ADMIN, this)) throw new SysError(Errno.EPERM);
    if (text === 'allow' && !this.setgroupsAllowed) throw new SysError(Errno.EPERM);
    if (text === 'deny' && this.gidMap !== undefined) throw new SysError(Errno.EPERM);
    this.setgroupsAllowed = text === 'allow';
    return data.length;
  }

  /** setgroups(2) is possible here: a gid_map is set and setgroups was not denied (userns_may_setgroups). */
  maySetgroups(): boolean {
    return this.gidMap !== undefined && this.setgroupsAllowed;
  }
}

/** The initial user namespace: every id maps to itself (its inode is Linux's PROC_USER_INIT_INO). */
export const INITIAL_USER_NAMESPACE = new UserNamespace(undefined, 0, 0, 0xeffffffd);

/** The user namespace credentials `c` live in. */
export function userNamespaceOf(c: Credentials): UserNamespace {
  return c.userns ?? INITIAL_USER_NAMESPACE;
}

/**
 * Whether `c` holds `cap` over namespace `ns` (cap_capable): in its own
 * namespace by its effective set; over a namespace below it whose owner
 * (created from the credentials' namespace) is its effective uid, always.
 */
export function hasCapabilityIn(c: Credentials, cap: number, ns: UserNamespace): boolean {
  const own = userNamespaceOf(c);
  for (let cur: UserNamespace | undefined = ns; cur; cur = cur.parent) {
    if (cur === own) return (c.effective & capMask(cap)) !== 0n;
    if (cur.depth <= own.depth) return false;
    if (cur.parent === own && cur.ownerUid === c.euid) return true;
  }
  return false;
}

/**
 * Credentials in a new user namespace below `c`'s (unshare/clone with
 * CLONE_NEWUSER): owned by the effective ids, which must be mapped, holding
 * every capability there and none outside (set_cred_user_ns).
 */
export function credentialsInNewUserNamespace(c: Credentials): Credentials {
  const parent = userNamespaceOf(c);
  if (parent.depth >= MAX_DEPTH) throw new SysError(Errno.EUSERS);
  if (parent.fromKernel('uid', c.euid) === INVALID_ID || parent.fromKernel('gid', c.egid) === INVALID_ID) throw new SysError(Errno.EPERM);
  return credentialsEntering(c, new UserNamespace(parent, c.euid, c.egid));
}

/** Credentials that have joined `ns` (setns, a new namespace): full capability sets there, as Linux's set_cred_user_ns gives. */
export function credentialsEntering(c: Credentials, ns: UserNamespace): Credentials {
  const all = (1n << BigInt(CAP.LAST_CAP + 1)) - 1n;
  return { ...c, groups: [...c.groups], userns: ns, permitted: all, effective: all, bounding: all, inheritable: 0n, ambient: 0n, securebits: 0 };
}

function pad(n: number): string {
  return String(n).padStart(10);
}

function cString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder().decode(end < 0 ? data : data.subarray(0, end));
}

/** Lines of "first lower count" (what follows a NUL is ignored); ranges may not wrap nor overlap, in either column. */
function parseMap(data: Uint8Array): IdExtent[] {
  const lines = cString(data).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0 || lines.length > MAX_EXTENTS) throw new SysError(Errno.EINVAL);
  const extents = lines.map((line) => {
    const m = /^[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)[ \t]*$/.exec(line);
    if (!m) throw new SysError(Errno.EINVAL);
    const [first, lower, count] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (first >= INVALID_ID || lower >= INVALID_ID || count === 0 || first + count > INVALID_ID || lower + count > INVALID_ID) throw new SysError(Errno.EINVAL);
    return { first, lower, count };
  });
  const overlaps = (a: number, n: number, b: number, m: number): boolean => a < b + m && b < a + n;
  extents.forEach((e, i) => {
    for (const o of extents.slice(0, i)) {
      if (overlaps(e.first, e.count, o.first, o.count) || overlaps(e.lower, e.count, o.lower, o.count)) throw new SysError(Errno.EINVAL);
    }
  });
  return extents;
}

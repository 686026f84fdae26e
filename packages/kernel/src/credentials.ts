// The credentials model of credentials(7) and capabilities(7): four user and
// four group ids, supplementary groups, the five capability sets and the
// securebits, with the transitions set*id(2), capset(2), prctl(2) and execve(2)
// apply to them. Every function here is pure: it returns new credentials (or
// throws the errno Linux gives) and the syscalls store the result in place.
import { CAP, Errno, SECURE, SysError } from '@tvisor/abi';
import type { UserNamespace } from './user-namespace.js';

/** Credentials of a process (Linux's struct cred). Capability sets are bit masks indexed by CAP.*. */
export interface Credentials {
  uid: number;
  euid: number;
  suid: number;
  fsuid: number;
  gid: number;
  egid: number;
  sgid: number;
  fsgid: number;
  groups: number[];
  permitted: bigint;
  effective: bigint;
  inheritable: bigint;
  bounding: bigint;
  ambient: bigint;
  /** SECURE.* flags (prctl PR_SET_SECUREBITS); KEEP_CAPS is prctl's PR_SET_KEEPCAPS. */
  securebits: number;
  /** The user namespace the ids are seen from and the capabilities count in; undefined for the initial one. */
  userns?: UserNamespace;
}

/** Every capability this kernel knows (CAP_LAST_CAP and below). */
export const ALL_CAPABILITIES = (1n << BigInt(CAP.LAST_CAP + 1)) - 1n;

/** The "leave unchanged" id of setreuid/setresuid (-1 as an unsigned int), also an invalid id. */
export const UNCHANGED_ID = 0xffff_ffff;

/** What a filesystem uid change from or to 0 takes from or gives back to the effective set (capabilities(7)). */
export const FS_CAPABILITIES = [
  CAP.CHOWN,
  CAP.DAC_OVERRIDE,
  CAP.DAC_READ_SEARCH,
  CAP.FOWNER,
  CAP.FSETID,
  CAP.LINUX_IMMUTABLE,
  CAP.MAC_OVERRIDE,
  CAP.MKNOD,
].reduce((m, c) => m | capMask(c), 0n);

/** The securebits that have a lock bit (each lock is the bit above its flag) and the locks. */
const SECURE_ALL_BITS = (1 << SECURE.NOROOT) | (1 << SECURE.NO_SETUID_FIXUP) | (1 << SECURE.KEEP_CAPS) | (1 << SECURE.NO_CAP_AMBIENT_RAISE);
const SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1;

export function capMask(cap: number): bigint {
  return 1n << BigInt(cap);
}

/** Whether `cap` names a capability (cap_valid). */
export function isValidCapability(cap: number): boolean {
  return Number.isInteger(cap) && cap >= 0 && cap <= CAP.LAST_CAP;
}

/** Whether the credentials hold `cap` over the whole system (capable()): in their effective set, from the initial user namespace. */
export function hasCapability(c: Credentials, cap: number): boolean {
  return (c.userns === undefined || c.userns.parent === undefined) && (c.effective & capMask(cap)) !== 0n;
}

/** Whether the credentials hold `cap` in their own user namespace (ns_capable(current_user_ns())): what changing their own ids needs. */
export function hasOwnCapability(c: Credentials, cap: number): boolean {
  return (c.effective & capMask(cap)) !== 0n;
}

/** The kernel uid of root in the credentials' user namespace (-1 as unsigned when unmapped): whom exec and setuid treat as root. */
function rootUid(c: Credentials): number {
  return c.userns ? c.userns.toKernel('uid', 0) : 0;
}

function isSecure(c: Credentials, bit: number): boolean {
  return (c.securebits & (1 << bit)) !== 0;
}

/**
 * Credentials for a process started from outside the sandbox (the container's
 * init or an exec'd process), as if it had been exec'd by a root parent with
 * full sets: uid 0 gets every capability, any other uid none. `caps` (the OCI
 * process.capabilities) replaces the sets when given.
 */
export function newCredentials(uid: number, gid: number, groups: readonly number[] = [], caps?: Partial<CapabilitySets>): Credentials {
  const root = uid === 0 ? ALL_CAPABILITIES : 0n;
  const sets: CapabilitySets = { permitted: root, effective: root, inheritable: 0n, bounding: ALL_CAPABILITIES, ambient: 0n, ...caps };
  return { uid, euid: uid, suid: uid, fsuid: uid, gid, egid: gid, sgid: gid, fsgid: gid, groups: [...groups], ...sets, securebits: 0 };
}

/** The five capability sets. */
export interface CapabilitySets {
  permitted: bigint;
  effective: bigint;
  inheritable: bigint;
  bounding: bigint;
  ambient: bigint;
}

/**
 * A capability set from names such as "CAP_CHOWN" (the OCI spec's form).
 * Names this kernel does not know are left out, as runc leaves them out.
 */
export function capabilitySetFromNames(names: readonly string[]): bigint {
  let set = 0n;
  for (const name of names) {
    const cap = (CAP as Record<string, number>)[name.replace(/^CAP_/, '')];
    if (cap !== undefined && name !== 'CAP_LAST_CAP') set |= capMask(cap);
  }
  return set;
}

/** A copy that shares nothing mutable with `c` (fork). */
export function copyCredentials(c: Credentials): Credentials {
  return { ...c, groups: [...c.groups] };
}

/**
 * The capability fix-up after the real, effective or saved uid changes
 * (cap_emulate_setxuid): losing uid 0 from all three drops permitted and
 * effective (unless keep-caps) and ambient; an effective uid leaving 0 drops
 * the effective set, one becoming 0 restores it from permitted. The fsuid
 * follows the effective uid.
 */
function afterUidChange(old: Credentials, next: Credentials): Credentials {
  next.fsuid = next.euid;
  if (isSecure(old, SECURE.NO_SETUID_FIXUP)) return next;
  const root = rootUid(old);
  const hadRoot = old.uid === root || old.euid === root || old.suid === root;
  const hasRoot = next.uid === root || next.euid === root || next.suid === root;
  if (hadRoot && !hasRoot) {
    if (!isSecure(old, SECURE.KEEP_CAPS)) {
      next.permitted = 0n;
      next.effective = 0n;
    }
    next.ambient = 0n;
  }
  if (old.euid === root && next.euid !== root) next.effective = 0n;
  if (old.euid !== root && next.euid === root) next.effective = next.permitted;
  return next;
}

type IdKind = 'uid' | 'gid';

function ids(c: Credentials, kind: IdKind): [number, number, number, number] {
  return kind === 'uid' ? [c.uid, c.euid, c.suid, c.fsuid] : [c.gid, c.egid, c.sgid, c.fsgid];
}

function withIds(c: Credentials, kind: IdKind, [r, e, s, fs]: number[]): Credentials {
  const next = copyCredentials(c);
  if (kind === 'uid') Object.assign(next, { uid: r, euid: e, suid: s, fsuid: fs });
  else Object.assign(next, { gid: r, egid: e, sgid: s, fsgid: fs });
  return kind === 'uid' ? afterUidChange(c, next) : next;
}

function privileged(c: Credentials, kind: IdKind): boolean {
  return hasOwnCapability(c, kind === 'uid' ? CAP.SETUID : CAP.SETGID);
}

/** setuid(2)/setgid(2): with CAP_SETUID (CAP_SETGID) all ids; otherwise the effective one, to the real or saved id. */
export function setId(c: Credentials, kind: IdKind, id: number): Credentials {
  if (id === UNCHANGED_ID) throw new SysError(Errno.EINVAL);
  const [r, , s] = ids(c, kind);
  if (privileged(c, kind)) return withIds(c, kind, [id, id, id, id]);
  if (id !== r && id !== s) throw new SysError(Errno.EPERM);
  return withIds(c, kind, [r, id, s, id]);
}

/**
 * setreuid(2)/setregid(2): the real id may become the real or effective one,
 * the effective any of the three; the saved id follows the new effective one
 * when the real id is set or the effective one differs from the old real id.
 */
export function setReId(c: Credentials, kind: IdKind, r: number, e: number): Credentials {
  const [or, oe, os] = ids(c, kind);
  const priv = privileged(c, kind);
  if (r !== UNCHANGED_ID && r !== or && r !== oe && !priv) throw new SysError(Errno.EPERM);
  if (e !== UNCHANGED_ID && e !== or && e !== oe && e !== os && !priv) throw new SysError(Errno.EPERM);
  const nr = r === UNCHANGED_ID ? or : r;
  const ne = e === UNCHANGED_ID ? oe : e;
  const ns = r !== UNCHANGED_ID || (e !== UNCHANGED_ID && e !== or) ? ne : os;
  return withIds(c, kind, [nr, ne, ns, ne]);
}

/** setresuid(2)/setresgid(2): without CAP_SETUID (CAP_SETGID) each new id must be one of the current three. */
export function setResId(c: Credentials, kind: IdKind, r: number, e: number, s: number): Credentials {
  const cur = ids(c, kind);
  const own = cur.slice(0, 3);
  if (!privileged(c, kind) && [r, e, s].some((v) => v !== UNCHANGED_ID && !own.includes(v))) throw new SysError(Errno.EPERM);
  const [nr, ne, ns] = [r, e, s].map((v, i) => (v === UNCHANGED_ID ? cur[i] : v));
  return withIds(c, kind, [nr, ne, ns, ne]);
}

/**
 * setfsuid(2)/setfsgid(2): the filesystem id may become any of the four ids,
 * or anything with CAP_SETUID (CAP_SETGID); otherwise (or for an invalid id)
 * nothing changes. A fsuid leaving 0 drops the filesystem capabilities from
 * the effective set, one becoming 0 raises the permitted ones back.
 * Returns the new credentials and the previous fs id (the syscall's result).
 */
export function setFsId(c: Credentials, kind: IdKind, id: number): { creds: Credentials; previous: number } {
  const cur = ids(c, kind);
  const previous = cur[3];
  if (id === UNCHANGED_ID || (!cur.includes(id) && !privileged(c, kind)) || id === previous) return { creds: c, previous };
  const next = copyCredentials(c);
  if (kind === 'gid') {
    next.fsgid = id;
    return { creds: next, previous };
  }
  next.fsuid = id;
  if (!isSecure(c, SECURE.NO_SETUID_FIXUP)) {
    if (previous === 0 && id !== 0) next.effective &= ~FS_CAPABILITIES;
    if (previous !== 0 && id === 0) next.effective |= next.permitted & FS_CAPABILITIES;
  }
  return { creds: next, previous };
}

/** Whether setgroups(2) is allowed: CAP_SETGID, and in a user namespace a gid_map and setgroups not denied (may_setgroups). */
export function maySetGroups(c: Credentials): boolean {
  return hasOwnCapability(c, CAP.SETGID) && (!c.userns || c.userns.maySetgroups());
}

/** setgroups(2). */
export function setGroups(c: Credentials, groups: number[]): Credentials {
  if (!maySetGroups(c)) throw new SysError(Errno.EPERM);
  return { ...c, groups: [...groups] };
}

/**
 * capset(2) (cap_capset): permitted may only shrink, effective must lie in
 * the new permitted, inheritable may add only what is permitted (anything in
 * the bounding set with CAP_SETPCAP) and never beyond the bounding set.
 * Ambient capabilities no longer both permitted and inheritable are dropped.
 */
export function setCapabilities(c: Credentials, effective: bigint, permitted: bigint, inheritable: bigint): Credentials {
  const inheritCeiling = c.inheritable | (hasOwnCapability(c, CAP.SETPCAP) ? c.bounding : c.permitted);
  if (inheritable & ~inheritCeiling) throw new SysError(Errno.EPERM);
  if (inheritable & ~(c.inheritable | c.bounding)) throw new SysError(Errno.EPERM);
  if (permitted & ~c.permitted) throw new SysError(Errno.EPERM);
  if (effective & ~permitted) throw new SysError(Errno.EPERM);
  return { ...c, groups: [...c.groups], effective, permitted, inheritable, ambient: c.ambient & permitted & inheritable };
}

/** prctl(PR_CAPBSET_DROP): needs CAP_SETPCAP. */
export function dropBounding(c: Credentials, cap: number): Credentials {
  if (!isValidCapability(cap)) throw new SysError(Errno.EINVAL);
  if (!hasOwnCapability(c, CAP.SETPCAP)) throw new SysError(Errno.EPERM);
  return { ...copyCredentials(c), bounding: c.bounding & ~capMask(cap) };
}

/** prctl(PR_CAP_AMBIENT_RAISE): the capability must be permitted and inheritable, and raising not forbidden by securebits. */
export function raiseAmbient(c: Credentials, cap: number): Credentials {
  if (!isValidCapability(cap)) throw new SysError(Errno.EINVAL);
  const m = capMask(cap);
  if ((c.permitted & m) === 0n || (c.inheritable & m) === 0n || isSecure(c, SECURE.NO_CAP_AMBIENT_RAISE)) throw new SysError(Errno.EPERM);
  return { ...copyCredentials(c), ambient: c.ambient | m };
}

/** prctl(PR_SET_KEEPCAPS): 0 or 1; EPERM once the keep-caps bit is locked. */
export function setKeepCaps(c: Credentials, on: number): Credentials {
  if (on !== 0 && on !== 1) throw new SysError(Errno.EINVAL);
  if (isSecure(c, SECURE.KEEP_CAPS_LOCKED)) throw new SysError(Errno.EPERM);
  const bit = 1 << SECURE.KEEP_CAPS;
  return { ...copyCredentials(c), securebits: on ? c.securebits | bit : c.securebits & ~bit };
}

/** prctl(PR_SET_SECUREBITS): needs CAP_SETPCAP; locked flags cannot change and locks cannot be released. */
export function setSecurebits(c: Credentials, bits: number): Credentials {
  const old = c.securebits;
  const lockedFlags = (old & SECURE_ALL_LOCKS) >>> 1;
  if (lockedFlags & (old ^ bits) || old & SECURE_ALL_LOCKS & ~bits || bits & ~(SECURE_ALL_BITS | SECURE_ALL_LOCKS) || !hasOwnCapability(c, CAP.SETPCAP)) {
    throw new SysError(Errno.EPERM);
  }
  return { ...copyCredentials(c), securebits: bits };
}

/** A set-user-ID or set-group-ID executable's owner, when exec is to honour it. */
export interface SetIdFile {
  uid?: number;
  gid?: number;
}

/**
 * execve(2)'s transformation (no file capabilities): a set-id file changes
 * the effective id; then, unless SECBIT_NOROOT, a real or effective uid 0
 * gets permitted = bounding | inheritable, and effective = permitted when
 * the euid is 0; otherwise permitted and effective are the ambient set
 * (cleared by a set-id file). Saved and fs ids follow the effective ones;
 * keep-caps is cleared.
 */
export function credentialsAfterExec(c: Credentials, setId: SetIdFile = {}): Credentials {
  const next = copyCredentials(c);
  const isSetId = (setId.uid !== undefined && setId.uid !== c.euid) || (setId.gid !== undefined && setId.gid !== c.egid);
  if (setId.uid !== undefined) next.euid = setId.uid;
  if (setId.gid !== undefined) next.egid = setId.gid;
  if (isSetId) next.ambient = 0n;
  let permitted = next.ambient;
  let raiseEffective = false;
  const root = rootUid(c);
  if (!isSecure(c, SECURE.NOROOT) && (next.euid === root || next.uid === root)) {
    permitted = c.bounding | c.inheritable;
    raiseEffective = next.euid === root;
  }
  next.permitted = permitted | next.ambient;
  next.effective = raiseEffective ? next.permitted : next.ambient;
  next.suid = next.fsuid = next.euid;
  next.sgid = next.fsgid = next.egid;
  next.securebits &= ~(1 << SECURE.KEEP_CAPS);
  return next;
}

/** Whether an exec ran with changed ids (AT_SECURE): the effective ids differ from the real ones. */
export function isSecureExec(after: Credentials): boolean {
  return after.euid !== after.uid || after.egid !== after.gid;
}

/**
 * The credentials access(2) checks with (access_override_creds): the real
 * ids as filesystem ids; a real uid other than 0 holds no capabilities,
 * uid 0 its permitted ones (unless SECBIT_NO_SETUID_FIXUP keeps them as they are).
 */
export function accessCredentials(c: Credentials): Credentials {
  const next: Credentials = { ...copyCredentials(c), fsuid: c.uid, fsgid: c.gid };
  if (!isSecure(c, SECURE.NO_SETUID_FIXUP)) next.effective = c.uid === rootUid(c) ? c.permitted : 0n;
  return next;
}

/** kill(2)'s permission rule (kill_ok_by_cred): CAP_KILL, or the sender's real or effective uid is the target's real or saved uid. */
export function mayKill(sender: Credentials, target: Credentials): boolean {
  if (hasCapability(sender, CAP.KILL)) return true;
  return [sender.uid, sender.euid].some((u) => u === target.uid || u === target.suid);
}

/** The 16-hex-digit form /proc/PID/status prints capability sets in. */
export function formatCapabilities(set: bigint): string {
  return set.toString(16).padStart(16, '0');
}

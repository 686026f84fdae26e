import { ACCESS, CAP, Errno, S, SysError } from './abi.js';

/**
 * Who performs an operation: filesystem user and group ids, supplementary
 * groups and the effective capability set (bit CAP.x for capability x).
 * Without `caps`, uid 0 stands for a holder of every capability (the
 * sandbox's own operations, and callers that do not model capabilities).
 */
export interface Credentials {
  uid: number;
  gid: number;
  groups: readonly number[];
  caps?: bigint;
}

export const ROOT_CREDENTIALS: Credentials = Object.freeze({ uid: 0, gid: 0, groups: Object.freeze([]) });

/** Whether `creds` holds capability `cap` (a CAP.* number) in its effective set. */
export function hasCapability(creds: Credentials, cap: number): boolean {
  if (creds.caps === undefined) return creds.uid === 0;
  return (creds.caps & (1n << BigInt(cap))) !== 0n;
}

/** Whether two credentials are the same identity: ids, groups and capabilities. */
export function sameCredentials(a: Credentials, b: Credentials): boolean {
  return a.uid === b.uid && a.gid === b.gid && a.caps === b.caps && a.groups.length === b.groups.length && a.groups.every((g, i) => g === b.groups[i]);
}

/** Whether `creds` holds CAP_SYS_ADMIN (mount, chroot-like administration). */
export function isPrivileged(creds: Credentials): boolean {
  return hasCapability(creds, CAP.SYS_ADMIN);
}

export function inGroup(creds: Credentials, gid: number): boolean {
  return creds.gid === gid || creds.groups.includes(gid);
}

/**
 * generic_permission(): may `creds` access a file with this mode/owner for
 * `want` (ACCESS.R_OK|W_OK|X_OK bits)? Throws EACCES when not.
 */
export function checkPermission(creds: Credentials, mode: number, uid: number, gid: number, want: number): void {
  if (!mayAccess(creds, mode, uid, gid, want)) throw new SysError(Errno.EACCES);
}

export function mayAccess(creds: Credentials, mode: number, uid: number, gid: number, want: number): boolean {
  want &= 7;
  if (want === 0) return true;
  let perm: number;
  if (creds.uid === uid) perm = (mode >> 6) & 7;
  else if (inGroup(creds, gid)) perm = (mode >> 3) & 7;
  else perm = mode & 7;
  if ((perm & want) === want) return true;
  // generic_permission's capability overrides: DAC_READ_SEARCH reads anything
  // and searches directories; DAC_OVERRIDE also writes, and executes a file
  // with any execute bit.
  if ((mode & S.IFMT) === S.IFDIR) {
    if ((want & ACCESS.W_OK) === 0 && hasCapability(creds, CAP.DAC_READ_SEARCH)) return true;
    return hasCapability(creds, CAP.DAC_OVERRIDE);
  }
  if (want === ACCESS.R_OK && hasCapability(creds, CAP.DAC_READ_SEARCH)) return true;
  return ((want & ACCESS.X_OK) === 0 || (mode & 0o111) !== 0) && hasCapability(creds, CAP.DAC_OVERRIDE);
}

/** May `creds` act as the owner of a file (inode_owner_or_capable: chmod, utimes, xattrs)? */
export function isOwnerOrPrivileged(creds: Credentials, uid: number): boolean {
  return creds.uid === uid || hasCapability(creds, CAP.FOWNER);
}

/**
 * Sticky-directory rule (may_delete): in a sticky dir only the file owner,
 * the dir owner, or a privileged user may remove or rename an entry.
 */
export function checkSticky(creds: Credentials, dirMode: number, dirUid: number, fileUid: number): void {
  if ((dirMode & S.ISVTX) === 0) return;
  if (creds.uid === fileUid || creds.uid === dirUid || hasCapability(creds, CAP.FOWNER)) return;
  throw new SysError(Errno.EPERM);
}

/**
 * The mode a regular file keeps when a writer without CAP_FSETID truncates
 * or writes it (should_remove_suid): set-user-ID goes, and set-group-ID when
 * group-executable. Returns undefined when nothing changes.
 */
export function modeAfterKillPrivs(creds: Credentials, mode: number): number | undefined {
  if (hasCapability(creds, CAP.FSETID)) return undefined;
  let m = mode & ~S.ISUID;
  if (m & 0o010) m &= ~S.ISGID;
  return m !== mode ? m : undefined;
}

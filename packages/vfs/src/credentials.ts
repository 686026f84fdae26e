import { ACCESS, Errno, S, SysError } from './abi.js';

/**
 * Who performs an operation: filesystem user and group ids plus
 * supplementary groups. uid 0 stands for a holder of CAP_DAC_OVERRIDE,
 * CAP_FOWNER and CAP_CHOWN (capabilities are not modelled separately).
 */
export interface Credentials {
  uid: number;
  gid: number;
  groups: readonly number[];
}

export const ROOT_CREDENTIALS: Credentials = Object.freeze({ uid: 0, gid: 0, groups: Object.freeze([]) });

export function isPrivileged(creds: Credentials): boolean {
  return creds.uid === 0;
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
  if (isPrivileged(creds)) {
    // Root may read and write anything, and execute a file if any x bit is
    // set; directories are always searchable.
    if ((want & ACCESS.X_OK) === 0) return true;
    return (mode & S.IFMT) === S.IFDIR || (mode & 0o111) !== 0;
  }
  let perm: number;
  if (creds.uid === uid) perm = (mode >> 6) & 7;
  else if (inGroup(creds, gid)) perm = (mode >> 3) & 7;
  else perm = mode & 7;
  return (perm & want) === want;
}

/** May `creds` change the attributes of a file it does not own (chmod, utimes)? */
export function isOwnerOrPrivileged(creds: Credentials, uid: number): boolean {
  return creds.uid === uid || isPrivileged(creds);
}

/**
 * Sticky-directory rule (may_delete): in a sticky dir only the file owner,
 * the dir owner, or a privileged user may remove or rename an entry.
 */
export function checkSticky(creds: Credentials, dirMode: number, dirUid: number, fileUid: number): void {
  if ((dirMode & S.ISVTX) === 0) return;
  if (creds.uid === fileUid || creds.uid === dirUid || isPrivileged(creds)) return;
  throw new SysError(Errno.EPERM);
}

/**
 * The mode a regular file keeps when an unprivileged user truncates or
 * writes it (should_remove_suid): set-user-ID goes, and set-group-ID when
 * group-executable. Returns undefined when nothing changes.
 */
export function modeAfterKillPrivs(creds: Credentials, mode: number): number | undefined {
  if (isPrivileged(creds)) return undefined;
  let m = mode & ~S.ISUID;
  if (m & 0o010) m &= ~S.ISGID;
  return m !== mode ? m : undefined;
}

import { CAP, CLONE, Errno, SysError } from '@tvisor/abi';
import type { Task, ThreadGroup } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { hasOwnCapability } from '../credentials.js';
import { namespacesAfter, namespacesOf, setNamespaces, SINGLE_NAMESPACES, type NamespaceSet } from '../namespaces.js';
import { credentialsEntering, credentialsInNewUserNamespace, hasCapabilityIn, UserNamespace, userNamespaceOf } from '../user-namespace.js';
import { NamespaceFileImpl } from '../fs/nsfs/nsfs.js';
import { pidFdGroup } from '../events/pidfd.js';

/** The namespaces that can be made here (mount, PID, network, cgroup and time exist once: asking for a new one is EINVAL). */
const NEW_NAMESPACES = CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWUSER;
/** What unshare(2) accepts. */
const UNSHARE_FLAGS = CLONE.THREAD | CLONE.SIGHAND | CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SYSVSEM | NEW_NAMESPACES | SINGLE_NAMESPACES;
/** setns(2)'s nstype bits, by namespace kind. */
const SETNS_FLAG: Record<string, number> = {
  cgroup: CLONE.NEWCGROUP,
  ipc: CLONE.NEWIPC,
  mnt: CLONE.NEWNS,
  net: CLONE.NEWNET,
  pid: CLONE.NEWPID,
  time: CLONE.NEWTIME,
  user: CLONE.NEWUSER,
  uts: CLONE.NEWUTS,
};

/** Whether another process shares `g`'s filesystem context (CLONE_FS): fs->users > 1. */
function sharesFs(t: Task, g: ThreadGroup): boolean {
  for (const other of t.kernel.tasks.values()) if (other.group !== g && other.group.fs === g.fs && !other.exited) return true;
  return false;
}

/** The process leaves its IPC namespace: its semaphore adjustments are undone there (unshare(CLONE_NEWIPC) implies CLONE_SYSVSEM). */
function leaveIpc(t: Task, next: NamespaceSet): void {
  const current = namespacesOf(t.kernel, t.group).ipc;
  if (next.ipc !== current) current.applyUndo(t.group);
}

/**
 * unshare(2): the calling process stops sharing its file descriptor table
 * (CLONE_FILES), filesystem context (CLONE_FS), or its UTS, IPC or user
 * namespace. CLONE_THREAD, CLONE_SIGHAND and CLONE_VM (and CLONE_NEWUSER,
 * which implies them) only succeed for a single-threaded process.
 */
export function unshare(t: Task, flags: number): number {
  if (flags & ~UNSHARE_FLAGS) throw new SysError(Errno.EINVAL);
  if (flags & CLONE.NEWUSER) flags |= CLONE.THREAD | CLONE.FS;
  const group = t.group;
  if (flags & (CLONE.THREAD | CLONE.SIGHAND | CLONE.VM) && group.tasks.size > 1) throw new SysError(Errno.EINVAL);
  let creds = t.creds;
  if (flags & CLONE.NEWUSER) {
    if (sharesFs(t, group)) throw new SysError(Errno.EINVAL);
    creds = credentialsInNewUserNamespace(creds);
  }
  const namespaces = namespacesAfter(t, flags, creds);
  if (flags & CLONE.FILES) group.fds = group.fds.unshare();
  if (flags & CLONE.FS) group.fs = group.fs.fork(group.fs.creds);
  if (creds !== t.creds) Object.assign(t.creds, creds);
  if (namespaces) {
    leaveIpc(t, namespaces);
    setNamespaces(group, namespaces);
  }
  return 0;
}

/**
 * setns(2): joins the namespace an nsfs file (/proc/PID/ns/KIND) names,
 * `nstype` 0 or its CLONE_NEW* flag; CAP_SYS_ADMIN is needed over the
 * namespace's owner and in the caller's own. A pidfd joins the process's
 * namespaces named in `nstype`, all or none.
 */
function setns(t: Task, fd: number, nstype: number): number {
  const file = t.group.fds.get(fd);
  if (file.impl instanceof NamespaceFileImpl) {
    const ns = file.impl.namespace;
    const kind = ns instanceof UserNamespace ? 'user' : ns.kind;
    if (nstype !== 0 && nstype !== SETNS_FLAG[kind]) throw new SysError(Errno.EINVAL);
    join(t, kind, ns);
    return 0;
  }
  let target: ThreadGroup;
  try {
    target = pidFdGroup(file);
  } catch {
    throw new SysError(Errno.EINVAL);
  }
  const all = Object.values(SETNS_FLAG).reduce((a, b) => a | b, 0);
  if (nstype === 0 || nstype & ~all) throw new SysError(Errno.EINVAL);
  if (target.exitStatus !== undefined) throw new SysError(Errno.ESRCH);
  const theirs = namespacesOf(t.kernel, target);
  // Validate every join before making any, so a refusal leaves the caller as it was.
  const saved = { creds: { ...t.creds, groups: [...t.creds.groups] }, namespaces: namespacesOf(t.kernel, t.group), root: t.group.fs.root, cwd: t.group.fs.cwd };
  try {
    if (nstype & CLONE.NEWUSER && userNamespaceOf(target.creds) !== userNamespaceOf(t.creds)) join(t, 'user', userNamespaceOf(target.creds));
    for (const kind of ['uts', 'ipc', 'mnt', 'pid', 'net', 'cgroup', 'time'] as const) {
      if (nstype & SETNS_FLAG[kind]) join(t, kind, theirs[kind]);
    }
  } catch (e) {
    Object.assign(t.creds, saved.creds);
    setNamespaces(t.group, saved.namespaces);
    Object.assign(t.group.fs, { root: saved.root, cwd: saved.cwd });
    throw e;
  }
  return 0;
}

function join(t: Task, kind: string, ns: UserNamespace | NamespaceSet[keyof NamespaceSet]): void {
  const group = t.group;
  if (ns instanceof UserNamespace) {
    // userns_install: never the caller's own, never with other threads or a shared fs_struct.
    if (ns === userNamespaceOf(t.creds) || group.tasks.size > 1 || sharesFs(t, group)) throw new SysError(Errno.EINVAL);
    if (!hasCapabilityIn(t.creds, CAP.SYS_ADMIN, ns)) throw new SysError(Errno.EPERM);
    Object.assign(t.creds, credentialsEntering(t.creds, ns));
    return;
  }
  if (!hasCapabilityIn(t.creds, CAP.SYS_ADMIN, ns.owner) || !hasOwnCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
  if (kind === 'mnt') {
    // mntns_install: the caller's root and cwd become the namespace's root (there is one mount namespace).
    if (!hasOwnCapability(t.creds, CAP.SYS_CHROOT)) throw new SysError(Errno.EPERM);
    if (sharesFs(t, group)) throw new SysError(Errno.EINVAL);
    group.fs.root = t.kernel.root.root;
    group.fs.cwd = t.kernel.root.root;
    return;
  }
  const current = namespacesOf(t.kernel, group);
  if (current[kind as keyof NamespaceSet] === ns) return;
  const next = { ...current, [kind]: ns } as NamespaceSet;
  leaveIpc(t, next);
  setNamespaces(group, next);
}

/** Namespaces: unshare and setns. */
export function registerNamespaceSyscalls(table: SyscallTable): void {
  table.register({
    unshare: {
      args: ['hex'],
      support: 'partial',
      note: 'CLONE_FILES, CLONE_FS, UTS, IPC and user namespaces; new mount, PID, network, cgroup and time namespaces are EINVAL',
      handler: (t, a) => unshare(t, a.argInt(0)),
    },
    setns: {
      args: ['fd', 'hex'],
      support: 'partial',
      note: 'nsfs files and pidfds; the mount, PID, network, cgroup and time namespaces are the one each of the sandbox',
      handler: (t, a) => setns(t, a.argInt(0), a.argInt(1)),
    },
  });
}

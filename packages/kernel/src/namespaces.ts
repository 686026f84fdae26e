// The namespaces a process lives in (Linux's nsproxy, namespaces(7)). UTS and
// IPC namespaces can be made and joined; the mount, PID, network, cgroup and
// time namespaces exist once per kernel (they can be named and re-joined, not
// yet made). The user namespace lives in the credentials (user-namespace.ts).
import { CAP, CLONE, Errno, SysError } from '@tvisor/abi';
import type { Kernel } from './kernel.js';
import type { Task, ThreadGroup } from './task.js';
import type { Uname } from './uname.js';
import { hasOwnCapability, type Credentials } from './credentials.js';
import { IpcNamespace } from './ipc/namespace.js';
import { INITIAL_USER_NAMESPACE, newNamespaceInode, userNamespaceOf, type UserNamespace } from './user-namespace.js';

/** The kinds /proc/PID/ns lists, in Linux's order, with their CLONE_NEW* flag. */
export const NAMESPACE_KINDS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'] as const;
export type NamespaceKind = (typeof NAMESPACE_KINDS)[number];

/** What every namespace has: the user namespace that owns it (whose CAP_SYS_ADMIN rules it) and its nsfs inode. */
export interface Namespace {
  readonly kind: NamespaceKind;
  readonly owner: UserNamespace;
  readonly inode: number;
}

/** A namespace with no state of its own here (mount, PID, network, cgroup, time: one per kernel). */
export class PlainNamespace implements Namespace {
  constructor(
    readonly kind: NamespaceKind,
    readonly owner: UserNamespace,
    readonly inode: number,
  ) {}
}

/** A UTS namespace (uts_namespaces(7)): the host and domain names uname(2) reports. */
export class UtsNamespace implements Namespace {
  readonly kind = 'uts';
  constructor(
    readonly names: Uname,
    readonly owner: UserNamespace,
    readonly inode = newNamespaceInode(),
  ) {}
}

/** The non-user namespaces of a process (nsproxy). Shared until unshare(2) or setns(2) replaces one. */
export interface NamespaceSet {
  uts: UtsNamespace;
  ipc: IpcNamespace;
  mnt: PlainNamespace;
  pid: PlainNamespace;
  net: PlainNamespace;
  cgroup: PlainNamespace;
  time: PlainNamespace;
}

/** Linux's fixed inode numbers of the initial namespaces (include/linux/proc_ns.h), the mount one as the first allocated. */
const INITIAL_INODES = { ipc: 0xefffffff, uts: 0xeffffffe, pid: 0xeffffffc, cgroup: 0xeffffffb, time: 0xeffffffa, net: 0xf0000000, mnt: 0xf0000001 };

const initial = new WeakMap<Kernel, NamespaceSet>();
/** Each process's namespaces, when not the initial ones (kept here so that the Task/Kernel core need not know them). */
const joined = new WeakMap<ThreadGroup, NamespaceSet>();

/** The namespaces every process starts in. */
export function initialNamespaces(kernel: Kernel): NamespaceSet {
  let set = initial.get(kernel);
  if (!set) {
    const owner = INITIAL_USER_NAMESPACE;
    const plain = (kind: NamespaceKind, inode: number) => new PlainNamespace(kind, owner, inode);
    set = {
      // The initial UTS names are the kernel's own object: runsc's hostname and /proc/sys/kernel write it.
      uts: new UtsNamespace(kernel.uname, owner, INITIAL_INODES.uts),
      ipc: new IpcNamespace(owner, INITIAL_INODES.ipc),
      mnt: plain('mnt', INITIAL_INODES.mnt),
      pid: plain('pid', INITIAL_INODES.pid),
      net: plain('net', INITIAL_INODES.net),
      cgroup: plain('cgroup', INITIAL_INODES.cgroup),
      time: plain('time', INITIAL_INODES.time),
    };
    initial.set(kernel, set);
    kernel.onGroupExit.add((group) => namespacesOf(kernel, group).ipc.applyUndo(group));
  }
  return set;
}

/** The namespaces of process `group`. */
export function namespacesOf(kernel: Kernel, group: ThreadGroup): NamespaceSet {
  return joined.get(group) ?? initialNamespaces(kernel);
}

/** Process `group` now lives in `set` (fork, unshare, setns). */
export function setNamespaces(group: ThreadGroup, set: NamespaceSet): void {
  joined.set(group, set);
}

/** The IPC namespace of the sandbox's first process (what /proc/sysvipc shows when no process is asking). */
export function ipcNamespace(kernel: Kernel): IpcNamespace {
  return initialNamespaces(kernel).ipc;
}

/** The IPC namespace task `t`'s process lives in. */
export function ipcNamespaceOf(t: Task): IpcNamespace {
  return namespacesOf(t.kernel, t.group).ipc;
}

/** The namespace kinds that exist once per kernel: asking for a new one is EINVAL. */
export const SINGLE_NAMESPACES = CLONE.NEWNS | CLONE.NEWNET | CLONE.NEWPID | CLONE.NEWCGROUP | CLONE.NEWTIME;

/**
 * The namespaces of a new process or of an unsharing one (copy_namespaces):
 * with CLONE_NEWUTS/NEWIPC a fresh one owned by `creds`' user namespace,
 * which needs CAP_SYS_ADMIN there. Returns undefined when nothing changes.
 */
export function namespacesAfter(t: Task, flags: number, creds: Credentials): NamespaceSet | undefined {
  if (flags & SINGLE_NAMESPACES) throw new SysError(Errno.EINVAL, 'mount, PID, network, cgroup and time namespaces cannot be created yet');
  if (!(flags & (CLONE.NEWUTS | CLONE.NEWIPC))) return undefined;
  if (!hasOwnCapability(creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
  const owner = userNamespaceOf(creds);
  const set = { ...namespacesOf(t.kernel, t.group) };
  if (flags & CLONE.NEWUTS) set.uts = newUtsNamespace(set.uts, owner);
  if (flags & CLONE.NEWIPC) set.ipc = new IpcNamespace(owner);
  return set;
}

/** A new UTS namespace owned by `owner`, starting with a copy of `from`'s names. */
export function newUtsNamespace(from: UtsNamespace, owner: UserNamespace): UtsNamespace {
  return new UtsNamespace({ ...from.names }, owner);
}

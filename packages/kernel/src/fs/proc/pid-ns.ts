import type { KernfsFilesystem, StaticDirectory } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { ThreadGroup } from '../../task.js';
import { namespacesOf, type NamespaceSet } from '../../namespaces.js';
import { userNamespaceOf } from '../../user-namespace.js';
import { namespaceDentry, namespaceLinkText, type AnyNamespace } from '../nsfs/nsfs.js';

/** /proc/PID/ns's links: name, and the namespace it leads to (pid and time serve their children too: they cannot change here). */
const LINKS: ReadonlyArray<readonly [string, (set: NamespaceSet, g: ThreadGroup) => AnyNamespace]> = [
  ['cgroup', (s) => s.cgroup],
  ['ipc', (s) => s.ipc],
  ['mnt', (s) => s.mnt],
  ['net', (s) => s.net],
  ['pid', (s) => s.pid],
  ['pid_for_children', (s) => s.pid],
  ['time', (s) => s.time],
  ['time_for_children', (s) => s.time],
  ['user', (_s, g) => userNamespaceOf(g.creds)],
  ['uts', (s) => s.uts],
];

/**
 * /proc/PID/ns (namespaces(7)): a magic link per namespace reading
 * `kind:[inode]`, opening to the namespace itself (what setns(2) takes);
 * and /proc/PID/{uid_map,gid_map,setgroups} of the process's user namespace.
 */
export function addNamespaceEntries(fs: KernfsFilesystem, kernel: Kernel, g: ThreadGroup, dir: StaticDirectory): void {
  const ns = dir.add('ns', fs.dir({ perm: 0o511 }));
  for (const [name, pick] of LINKS) {
    const kind = name.replace(/_for_children$/, '');
    const target = () => pick(namespacesOf(kernel, g), g);
    ns.add(name, fs.symlink({ target: () => namespaceLinkText(kind, target()), resolve: () => namespaceDentry(kind, target()) }));
  }
  const userns = () => userNamespaceOf(g.creds);
  const owner = () => ({ uid: g.creds.uid, gid: g.creds.gid });
  const viewer = () => (kernel.current ? userNamespaceOf(kernel.current.creds) : userns());
  const writer = () => kernel.current?.creds ?? g.creds;
  for (const kind of ['uid', 'gid'] as const) {
    dir.add(
      `${kind}_map`,
      fs.file({ read: () => userns().mapText(kind, viewer()), write: (data, offset) => userns().writeMap(kind, writer(), data, offset) }, { owner }),
    );
  }
  dir.add(
    'setgroups',
    fs.file(
      { read: () => (userns().setgroupsAllowed ? 'allow\n' : 'deny\n'), write: (data, offset) => userns().writeSetgroups(writer(), data, offset) },
      { owner },
    ),
  );
}

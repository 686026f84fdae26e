import { TmpfsFilesystem, devMajor, devMinor, propagationFields, type Dentry, type Mount } from '@tvisor/vfs';
import type { ThreadGroup } from '../../task.js';

/**
 * /proc/PID/mountinfo and /proc/PID/mounts: the sandbox's mount table as the
 * process sees it (paths relative to its root; mounts outside it left out),
 * in proc(5)'s formats. findmnt, psutil, the JVM and Go's runtime read them.
 */

interface MountView {
  mount: Mount;
  /** Mount point as the process sees it. */
  where: string;
}

/** The mounts under the process's root, in mount-tree order (parents first, as Linux lists them). */
function visibleMounts(g: ThreadGroup): MountView[] {
  const out: MountView[] = [];
  for (const m of g.fs.vfs.mounts()) {
    const { path, reachable } = g.fs.vfs.pathOf({ mount: m, dentry: m.root }, g.fs.root);
    if (reachable) out.push({ mount: m, where: path });
  }
  return out;
}

/** Where a mount's root lies within its filesystem: `/` except for bind mounts of a subtree. */
function rootInFilesystem(d: Dentry): string {
  const names: string[] = [];
  for (let e: Dentry | null = d; e && e.parent; e = e.parent) names.unshift(e.name);
  return '/' + names.join('/');
}

/** Mount point paths escape what would break the space-separated format, as the kernel's seq_path does. */
function escapePath(p: string): string {
  return p.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

function mountOptions(m: Mount): string {
  const opts = [m.readOnly ? 'ro' : 'rw'];
  if (m.flags.noSuid) opts.push('nosuid');
  if (m.flags.noDev) opts.push('nodev');
  if (m.flags.noExec) opts.push('noexec');
  opts.push('relatime');
  return opts.join(',');
}

/** The device the mount's filesystem reports (st_dev of its root), `major:minor`. */
function deviceOf(m: Mount): string {
  const dev = m.root.inode.stat().dev;
  return `${devMajor(dev)}:${devMinor(dev)}`;
}

/** What the mount was mounted from: the filesystem's type, as gVisor shows for its synthetic filesystems. */
function sourceOf(m: Mount): string {
  if (m.source !== null) return escapePath(m.source);
  return m.fs.type === 'overlay' ? 'overlay' : m.fs.type === 'devtmpfs' ? 'none' : m.fs.type;
}

/** Super-block options: the filesystem's own read-only state as Linux shows it (rw unless the mount's filesystem refuses writes). */
function superOptions(m: Mount): string {
  return [m.readOnly ? 'ro' : 'rw', ...filesystemOptions(m)].join(',');
}

/** The filesystem's own options (tmpfs's mode, size...), shown in both files as Linux does. */
function filesystemOptions(m: Mount): readonly string[] {
  return m.fs instanceof TmpfsFilesystem ? m.fs.superOptions : [];
}

/** /proc/PID/mountinfo (proc(5)): id, parent id, major:minor, root, mount point, options, `-`, type, source, super options. */
export function mountinfoText(g: ThreadGroup): string {
  const views = visibleMounts(g);
  const shown = new Set(views.map((v) => v.mount));
  let out = '';
  for (const { mount: m, where } of views) {
    // The root mount's parent lies outside the process's view: Linux then
    // shows the id of a mount not listed; like gVisor, the root names itself.
    const parent = m.parent && shown.has(m.parent) ? m.parent.id : m.id;
    out += `${m.id} ${parent} ${deviceOf(m)} ${escapePath(rootInFilesystem(m.root))} ${escapePath(where)} ${mountOptions(m)}${propagationFields(m)
      .map((f) => ' ' + f)
      .join('')} - ${m.fs.type} ${sourceOf(m)} ${superOptions(m)}\n`;
  }
  return out;
}

/** /proc/PID/mounts (fstab format): source, mount point, type, options, 0 0. */
export function mountsText(g: ThreadGroup): string {
  let out = '';
  for (const { mount: m, where } of visibleMounts(g))
    out += `${sourceOf(m)} ${escapePath(where)} ${m.fs.type} ${[mountOptions(m), ...filesystemOptions(m)].join(',')} 0 0\n`;
  return out;
}
